"""Reads JSON lines {method, http10, response (base64)} and parses each
response with h11, a strict HTTP/1.1 client parser written independently of
lath. Prints one JSON line per case: the status, body and trailer count h11
saw, or the error it raised."""
import base64
import json
import sys

import h11

for line in sys.stdin:
    case = json.loads(line)
    conn = h11.Connection(our_role=h11.CLIENT)
    # h11 only speaks HTTP/1.1 as a client; for the HTTP/1.0 case it asks
    # to close, which reads a close-delimited body the same way.
    headers = [("Host", "a")] + ([("Connection", "close")] if case["http10"] else [])
    try:
        conn.send(h11.Request(method=case["method"], target="/", headers=headers))
        conn.send(h11.EndOfMessage())
        conn.receive_data(base64.b64decode(case["response"]))
        status, body, trailers, done = None, b"", 0, False
        while not done:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(b"")  # the server closed after its response
                continue
            if isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                trailers = len(event.headers)
                done = True
            elif isinstance(event, h11.InformationalResponse):
                pass
        print(json.dumps({"status": status, "body": body.decode("latin-1"), "trailers": trailers}))
    except Exception as e:  # report, never hide
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
