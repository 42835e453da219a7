"""An HTTP/2 client (the h2 package) that opens each stream with a
window of only WINDOW bytes and widens it as each piece arrives:

    python3 small_window.py PORT PATH WINDOW

Prints one JSON object: status, body, and the size of each DATA frame.
"""
import json
import socket
import sys

import h2.config
import h2.connection
import h2.events
import h2.settings


def main():
    port, path, window = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(20)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.local_settings = h2.settings.Settings(
        client=True, initial_values={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
    conn.initiate_connection()
    stream = conn.get_next_available_stream_id()
    conn.send_headers(stream, [
        (":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1"), (":path", path),
    ], end_stream=True)
    sock.sendall(conn.data_to_send())
    status, body, frames, done = None, b"", [], False
    while not done:
        data = sock.recv(65536)
        if not data:
            break
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                status = dict(event.headers)[b":status"].decode()
            elif isinstance(event, h2.events.DataReceived):
                body += event.data
                frames.append(len(event.data))
                conn.acknowledge_received_data(event.flow_controlled_length, stream)
            elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                done = True
        sock.sendall(conn.data_to_send())
    print(json.dumps({"status": status, "body": body.decode(), "frames": frames}))


main()
