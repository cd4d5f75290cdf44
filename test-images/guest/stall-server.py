#!/usr/bin/env python3
"""stall-server.py PORT FILE GOOD_BYTES — an HTTP server on 127.0.0.1 that serves FILE with Range support but
never answers a range that reaches past GOOD_BYTES: a source that hangs mid-read, for the deadline check."""
import http.server
import os
import re
import sys
import time

PORT, FILE, GOOD = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
SIZE = os.path.getsize(FILE)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Length", str(SIZE))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()

    def do_GET(self):
        m = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range", ""))
        if not m:
            self.send_error(416)
            return
        start, end = int(m.group(1)), min(int(m.group(2)), SIZE - 1)
        if end >= GOOD:
            time.sleep(3600)   # hang: the daemon's READ deadline must answer the reader meanwhile
            return
        with open(FILE, "rb") as f:
            f.seek(start)
            body = f.read(end - start + 1)
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{end}/{SIZE}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
