"""An HTTP/2 client (the h2 package) that sends a body with trailers and
reads the answer's body and trailers:

    python3 trailers.py PORT PATH

Prints one JSON object: status, body, trailers.
"""
import json
import sys

from answer import connect, read_answer


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    sock, conn = connect(port)
    stream = conn.get_next_available_stream_id()
    conn.send_headers(stream, [
        (":method", "POST"), (":scheme", "http"), (":authority", "127.0.0.1"),
        (":path", path), ("te", "trailers"), ("content-type", "text/plain"),
    ])
    conn.send_data(stream, b"hello ")
    conn.send_data(stream, b"trailers")
    conn.send_headers(stream, [("x-checksum", "abc"), ("x-parts", "2")], end_stream=True)
    sock.sendall(conn.data_to_send())
    answer = read_answer(sock, conn)
    print(json.dumps({k: answer[k] for k in ("status", "body", "trailers")}))


main()
