#!/usr/bin/env python3
"""orphan-exec.py DIR SOURCE MOUNTPOINT READY-FILE -- JAVA-COMMAND... : leaves the next ondemandd an orphaned anon fd.

Runs inside the test VM (cachefiles-space.sh). A stand-in for a daemon that dies with an object open: it binds
/dev/cachefiles (fd 3) in on-demand mode on DIR, mounts `-o fsid=single` at MOUNTPOINT and serves that mount's
OPEN and READs from SOURCE itself, then writes READY-FILE and takes the next READ without answering it. Then it
exec()s JAVA-COMMAND in the same process, the device fd handed over as systemd does (LISTEN_FDS=1,
LISTEN_FDNAMES=cachefiles, LISTEN_PID). The kernel creates anon fds without O_CLOEXEC, so the object's anon fd
survives the exec: ondemandd starts holding an anon fd it never opened, writes `restore`, and reads a READ for an
object_id it does not know -- the case CachefilesFrontend completes through the orphan.
Message layouts: include/uapi/linux/cachefiles.h (struct cachefiles_msg, cachefiles_open, cachefiles_read).
"""
import fcntl
import mmap
import os
import select
import struct
import subprocess
import sys

OP_OPEN, OP_CLOSE, OP_READ = 0, 1, 2
IOC_READ_COMPLETE = 0x40049801  # _IOW(0x98, 1, int)
MSG_HEADER = struct.Struct("=IIII")  # msg_id, opcode, len, object_id
OPEN_HEADER = struct.Struct("=IIII")  # volume_key_size, cookie_key_size, fd, flags
READ_BODY = struct.Struct("=QQ")  # off, len
LISTEN_FDS_START = 3
PAGE = 4096


def main():
    sep = sys.argv.index("--")
    cache_dir, source, mountpoint, ready = sys.argv[1:sep]
    command = sys.argv[sep + 1:]
    dev = os.open("/dev/cachefiles", os.O_RDWR)
    if dev != LISTEN_FDS_START:
        os.dup2(dev, LISTEN_FDS_START)
        os.close(dev)
        dev = LISTEN_FDS_START
    os.set_inheritable(dev, True)
    for cmd in ("dir " + cache_dir, "tag ondemandd", "bind ondemand"):
        os.write(dev, cmd.encode())
    src = os.open(source, os.O_RDONLY)
    size = os.fstat(src).st_size
    objects = {}
    mount = subprocess.Popen(["mount", "-t", "erofs", "none", "-o", "fsid=single", mountpoint])
    mounted = False
    poller = select.poll()
    poller.register(dev, select.POLLIN)
    while True:
        if not mounted and mount.poll() is not None:
            if mount.returncode != 0:
                sys.exit("orphan-exec: mount failed with status %d" % mount.returncode)
            mounted = True
            with open(ready, "w") as f:
                f.write("mounted\n")
        if not poller.poll(200):
            continue
        msg = os.read(dev, 65536)
        msg_id, opcode, length, object_id = MSG_HEADER.unpack_from(msg)
        if opcode == OP_OPEN:
            vsize, csize, fd, _ = OPEN_HEADER.unpack_from(msg, MSG_HEADER.size)
            cookie = msg[MSG_HEADER.size + OPEN_HEADER.size + vsize:][:csize].decode(errors="replace")
            if cookie == "single":
                objects[object_id] = fd
                os.write(dev, b"copen %d,%d" % (msg_id, size))
            else:
                os.write(dev, b"copen %d,-2" % msg_id)
                os.close(fd)
        elif opcode == OP_CLOSE:
            fd = objects.pop(object_id, None)
            if fd is not None:
                os.close(fd)
        elif opcode == OP_READ:
            if mounted:
                break  # left unanswered: the exec'd daemon finds it after `restore`
            off, n = READ_BODY.unpack_from(msg, MSG_HEADER.size)
            fd = objects[object_id]
            # the object's backing file is written with O_DIRECT: a page-aligned buffer of whole pages
            buf = mmap.mmap(-1, (n + PAGE - 1) // PAGE * PAGE)
            buf.write(os.pread(src, n, off))
            os.pwrite(fd, buf, off)
            buf.close()
            fcntl.ioctl(fd, IOC_READ_COMPLETE, msg_id)
    os.close(src)
    print("orphan-exec: READ msg %d of object %d left unanswered; exec %s with anon fds %s"
          % (msg_id, object_id, command[0], sorted(objects.values())), flush=True)
    env = dict(os.environ, LISTEN_FDS="1", LISTEN_FDNAMES="cachefiles", LISTEN_PID=str(os.getpid()))
    os.execve(command[0], command, env)


if __name__ == "__main__":
    main()
