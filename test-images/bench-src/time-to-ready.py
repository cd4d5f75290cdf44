#!/usr/bin/env python3
"""time-to-ready.py WORKDIR MOUNTPOINT COMMAND... — runs COMMAND (ondemandd mount …) and prints the milliseconds
from exec until it is ready: a "mounted" line on its stdout, or READY=1 on the NOTIFY_SOCKET it is given,
whichever comes first ("nan" if neither within 60 s). Then unmounts MOUNTPOINT (ondemandd umount) and waits."""
import os
import select
import socket
import subprocess
import sys
import time

work, mountpoint, command = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(work, exist_ok=True)
sock_path = os.path.join(work, "notify.sock")
if os.path.exists(sock_path):
    os.unlink(sock_path)
notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.bind(sock_path)
start = time.monotonic()
proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                        env=dict(os.environ, NOTIFY_SOCKET=sock_path))
ready = None
deadline = start + 60
while ready is None and time.monotonic() < deadline:
    readable, _, _ = select.select([proc.stdout, notify], [], [], deadline - time.monotonic())
    if notify in readable and b"READY=1" in notify.recv(4096):
        ready = time.monotonic()
    elif proc.stdout in readable:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith(b"mounted"):
            ready = time.monotonic()
subprocess.run([command[0], "umount", mountpoint], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    proc.wait(60)
except subprocess.TimeoutExpired:
    proc.kill()
print("%.0f" % ((ready - start) * 1000) if ready else "nan")
