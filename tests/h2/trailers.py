"""An HTTP/2 client (the h2 package) that sends a body with trailers and
reads the answer's body and trailers:

    python3 trailers.py PORT PATH

Prints one JSON object: status, body, trailers.
"""
import json
import socket
import sys

import h2.config
import h2.connection
import h2.events


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(20)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    stream = conn.get_next_available_stream_id()
    conn.send_headers(stream, [
        (":method", "POST"), (":scheme", "http"), (":authority", "127.0.0.1"),
        (":path", path), ("te", "trailers"), ("content-type", "text/plain"),
    ])
    conn.send_data(stream, b"hello ")
    conn.send_data(stream, b"trailers")
    conn.send_headers(stream, [("x-checksum", "abc"), ("x-parts", "2")], end_stream=True)
    sock.sendall(conn.data_to_send())
    status, body, trailers, done = None, b"", {}, False
    while not done:
        data = sock.recv(65536)
        if not data:
            break
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                status = dict(event.headers)[b":status"].decode()
            elif isinstance(event, h2.events.DataReceived):
                body += event.data
                conn.acknowledge_received_data(event.flow_controlled_length, stream)
            elif isinstance(event, h2.events.TrailersReceived):
                trailers = {k.decode(): v.decode() for k, v in event.headers}
            elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                done = True
        sock.sendall(conn.data_to_send())
    print(json.dumps({"status": status, "body": body.decode(), "trailers": trailers}))


main()
