"""What the h2 test clients share: connecting, and reading one stream's
answer while widening the window for each piece."""
import socket

import h2.config
import h2.connection
import h2.events
import h2.settings


def connect(port, window=None):
    """A socket to 127.0.0.1:port and an HTTP/2 client connection on it,
    whose streams open with `window` bytes of flow control when given."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(20)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    if window is not None:
        conn.local_settings = h2.settings.Settings(
            client=True, initial_values={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
    conn.initiate_connection()
    return sock, conn


def read_answer(sock, conn):
    """Reads until a stream ends or is reset: its status, body, trailers
    and the size of each DATA frame."""
    answer = {"status": None, "body": b"", "trailers": {}, "frames": []}
    done = False
    while not done:
        data = sock.recv(65536)
        if not data:
            break
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                answer["status"] = dict(event.headers)[b":status"].decode()
            elif isinstance(event, h2.events.DataReceived):
                answer["body"] += event.data
                answer["frames"].append(len(event.data))
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.TrailersReceived):
                answer["trailers"] = {k.decode(): v.decode() for k, v in event.headers}
            elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                done = True
        sock.sendall(conn.data_to_send())
    answer["body"] = answer["body"].decode()
    return answer
