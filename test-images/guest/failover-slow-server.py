#!/usr/bin/env python3
"""failover-slow-server.py PORT ROOT DELAY_SECONDS -- an HTTP server on 127.0.0.1 serving the files under ROOT
with Range support, each GET answered only after DELAY_SECONDS: a remote source slow enough that readers of a
freshly mounted image are still blocked on cold data when the failover test kills the daemon.

Answers HEAD (size, Accept-Ranges, a fixed ETag) at once, GET with "Range: bytes=A-B" as 206 with the exact
Content-Range, anything else 400/404/416. Serves concurrently (one thread per connection, keep-alive).
A client that goes away mid-answer (a killed daemon) is not an error. Counts requests on SIGUSR1 to stderr."""
import http.server
import os
import re
import signal
import sys
import threading
import time

PORT, ROOT, DELAY = int(sys.argv[1]), os.path.realpath(sys.argv[2]), float(sys.argv[3])
RANGE = re.compile(r"bytes=(\d+)-(\d+)")
COUNT = {"head": 0, "get": 0, "bytes": 0, "aborted": 0}
LOCK = threading.Lock()


def count(key, n=1):
    with LOCK:
        COUNT[key] += n


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def target(self):
        path = os.path.realpath(os.path.join(ROOT, self.path.lstrip("/").split("?")[0]))
        if not path.startswith(ROOT + os.sep) or not os.path.isfile(path):
            self.send_error(404)
            return None
        return path

    def do_HEAD(self):
        path = self.target()
        if path is None:
            return
        count("head")
        self.send_response(200)
        self.send_header("Content-Length", str(os.path.getsize(path)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", '"failover-%d"' % os.path.getsize(path))
        self.end_headers()

    def do_GET(self):
        path = self.target()
        if path is None:
            return
        size = os.path.getsize(path)
        m = RANGE.fullmatch(self.headers.get("Range", ""))
        if not m or int(m.group(1)) >= size or int(m.group(2)) < int(m.group(1)):
            self.send_error(416 if m else 400)
            return
        start, end = int(m.group(1)), min(int(m.group(2)), size - 1)
        time.sleep(DELAY)
        with open(path, "rb") as f:
            f.seek(start)
            body = f.read(end - start + 1)
        try:
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, size))
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", '"failover-%d"' % size)
            self.end_headers()
            self.wfile.write(body)
            count("get")
            count("bytes", len(body))
        except (BrokenPipeError, ConnectionResetError):
            count("aborted")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        count("aborted")   # a client killed mid-answer: expected here, not worth a traceback


signal.signal(signal.SIGUSR1, lambda s, f: sys.stderr.write("slow-server: %s\n" % COUNT))
Server(("127.0.0.1", PORT), Handler).serve_forever()
