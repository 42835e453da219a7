"""An HTTP/2 client (the h2 package) that opens each stream with a
window of only WINDOW bytes and widens it as each piece arrives:

    python3 small_window.py PORT PATH WINDOW

Prints one JSON object: status, body, and the size of each DATA frame.
"""
import json
import sys

from answer import connect, read_answer


def main():
    port, path, window = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    sock, conn = connect(port, window)
    stream = conn.get_next_available_stream_id()
    conn.send_headers(stream, [
        (":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1"), (":path", path),
    ], end_stream=True)
    sock.sendall(conn.data_to_send())
    answer = read_answer(sock, conn)
    print(json.dumps({k: answer[k] for k in ("status", "body", "frames")}))


main()
