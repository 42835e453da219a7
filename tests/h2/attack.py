"""HTTP/2 clients frame by frame over a raw socket: misbehaving ones, and
ones that watch how a connection ends.

    python3 attack.py PORT rapid-reset|continuation-flood|idle|in-flight

Prints the GOAWAY error code the server sent, or "closed" if it closed
without one, or "none" if it kept the connection open; `in-flight` (a
request to /timeout, which answers after a second) also prints whether
its answer came whole: "0 answered", after a line "sent" once the
request is on its way.
"""
import socket
import struct
import sys

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HEADERS, RST_STREAM, SETTINGS, GOAWAY, CONTINUATION = 1, 3, 4, 7, 9
END_STREAM, END_HEADERS = 0x1, 0x4
CANCEL = 8


def frame(kind, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def request(path):
    # :method GET, :scheme http (static table), :path literal, :authority "a"
    return b"\x82\x86" + b"\x44" + bytes([len(path)]) + path + b"\x41\x01a"


def main():
    port, attack = int(sys.argv[1]), sys.argv[2]
    conn = socket.create_connection(("127.0.0.1", port))
    conn.settimeout(20)
    out = PREFACE + frame(SETTINGS, 0, 0, b"")
    if attack == "rapid-reset":
        stream = 1
        for _ in range(2000):
            out += frame(HEADERS, END_HEADERS | END_STREAM, stream, request(b"/timeout"))
            out += frame(RST_STREAM, 0, stream, struct.pack(">I", CANCEL))
            stream += 2
    elif attack == "continuation-flood":
        out += frame(HEADERS, END_STREAM, 1, request(b"/hello"))
        for _ in range(20000):
            out += frame(CONTINUATION, 0, 1, b"\x40\x01x\x01y")
    elif attack == "in-flight":
        out += frame(HEADERS, END_HEADERS | END_STREAM, 1, request(b"/timeout"))
    try:
        conn.sendall(out)
    except OSError:
        pass
    if attack == "in-flight":
        print("sent", flush=True)
    goaway, answered = None, False
    buf = b""
    while True:
        try:
            data = conn.recv(65536)
        except socket.timeout:
            print("none")
            return
        except OSError:
            data = b""
        if not data:
            break
        buf += data
        while len(buf) >= 9:
            length = struct.unpack(">I", b"\x00" + buf[:3])[0]
            if len(buf) < 9 + length:
                break
            kind, flags, payload = buf[3], buf[4], buf[9:9 + length]
            stream = struct.unpack(">I", buf[5:9])[0] & 0x7FFFFFFF
            buf = buf[9 + length:]
            if kind == GOAWAY:
                goaway = struct.unpack(">I", payload[4:8])[0]
                if attack != "in-flight":
                    print(goaway)
                    return
            if stream == 1 and flags & END_STREAM:
                answered = True
            if attack == "in-flight" and goaway is not None and answered:
                print(goaway, "answered")
                return
    if attack == "in-flight":
        print(goaway, "answered" if answered else "cut")
    else:
        print("closed")


main()
