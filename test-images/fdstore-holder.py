#!/usr/bin/env python3
"""fdstore-holder.py [OPTIONS] -- COMMAND [ARGS...] -- systemd's service manager, reduced to what a
Type=notify service with an fd store sees of it, for tests that cannot run under systemd (the test VM, CI).

It behaves as systemd does for such a unit (sd_notify(3), sd_listen_fds(3), systemd.service(5)):

* An AF_UNIX datagram socket with SO_PASSCRED is the service's $NOTIFY_SOCKET. Messages are newline-separated
  KEY=VALUE tags of at most 4096 bytes; only the main process may send them (NotifyAccess=main). READY=1,
  STATUS=, STOPPING=1, WATCHDOG=1, WATCHDOG=trigger, WATCHDOG_USEC=, EXTEND_TIMEOUT_USEC= and MAINPID= are
  logged and acted on as far as this stand-in has a use for them.
* FDSTORE=1 with SCM_RIGHTS keeps the fds under FDNAME= ("stored" when none is given; an invalid name is
  ignored as systemd does), deduplicated against the fds already kept (kcmp(KCMP_FILE), as systemd's
  same_fd()); beyond --fd-store-max they are closed. Unless FDPOLL=0 is given, a stored fd that reports
  POLLHUP/POLLERR is dropped. FDSTOREREMOVE=1 with FDNAME= drops every fd of that name. Fds sent without
  FDSTORE=1 are closed.
* The service is started by fork + exec: in the child a new session (setsid), signals back to their defaults,
  stdin from /dev/null, the stored fds moved to 3, 4, ... without FD_CLOEXEC (newest first, the order of
  systemd's fd store list), every other fd closed, and LISTEN_PID=<the child's pid>, LISTEN_FDS=<n>,
  LISTEN_FDNAMES=<names joined by ':'> set when there are fds; NOTIFY_SOCKET always; WATCHDOG_USEC and
  WATCHDOG_PID with --watchdog-sec.
* Restart=on-failure (or --restart always/no): a main process that exits non-zero (other than a
  --restart-prevent-exit-status), is killed by a signal other than SIGHUP/SIGINT/SIGTERM/SIGPIPE, misses the
  start timeout or the watchdog is started again after --restart-sec with the stored fds handed back. The fd
  store outlives restarts; it is released when the service stops for good. StartLimitBurst= within
  StartLimitIntervalSec= ends the restarts ("start request repeated too quickly").
* SIGTERM or SIGINT to the holder stops the service (SIGTERM to its session, SIGKILL after
  --timeout-stop-sec), releases the fd store and exits.

Every event is one line on stderr: "fdstore-holder <unix time> <event>". --pid-file keeps the main pid in a
file (rewritten on each start), so a test can signal the current daemon.

Exit status: the service's last exit status (128 + signal when killed), 0 when stopped through the holder.
"""
import argparse
import ctypes
import errno
import fcntl
import os
import platform
import select
import signal
import socket
import struct
import sys
import tempfile
import time

NOTIFY_BUFFER_MAX = 4096          # systemd reads at most PIPE_BUF bytes per notification datagram
NOTIFY_FD_MAX = 768               # systemd's limit on fds passed in one notification
FD_NAME_MAX = 255                 # systemd's FDNAME_MAX
FIRST_FD = 3                      # SD_LISTEN_FDS_START
EXIT_EXEC = 203                   # systemd's EXIT_EXEC: the service's command could not be executed
CLEAN_SIGNALS = {signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE}
UCRED = struct.Struct("iII")      # struct ucred { pid_t pid; uid_t uid; gid_t gid; }
KCMP_FILE = 0
SYS_KCMP = {"x86_64": 312, "aarch64": 272}
LISTEN_VARIABLES = ("LISTEN_PID", "LISTEN_PIDFDID", "LISTEN_FDS", "LISTEN_FDNAMES", "NOTIFY_SOCKET",
                    "WATCHDOG_USEC", "WATCHDOG_PID")


def log(message):
    sys.stderr.write("fdstore-holder %.3f %s\n" % (time.time(), message))
    sys.stderr.flush()


def fdname_is_valid(name):
    """systemd's fdname_is_valid(): 1-255 printable ASCII characters, no ':'."""
    return 0 < len(name) <= FD_NAME_MAX and all(" " < c < "\x7f" and c != ":" for c in name)


def same_fd(a, b):
    """True when fds a and b refer to one open file description (systemd's same_fd())."""
    if a == b:
        return True
    number = SYS_KCMP.get(platform.machine())
    if number is not None:
        libc = ctypes.CDLL(None, use_errno=True)
        pid = os.getpid()
        result = libc.syscall(number, pid, pid, KCMP_FILE, a, b)
        if result >= 0:
            return result == 0
        if ctypes.get_errno() not in (errno.ENOSYS, errno.EACCES, errno.EPERM):
            raise OSError(ctypes.get_errno(), "kcmp")
    # Without kcmp (CONFIG_KCMP off), systemd compares what fstat, the flags and the offset say.
    sa, sb = os.fstat(a), os.fstat(b)
    if (sa.st_dev, sa.st_ino, sa.st_rdev, sa.st_mode) != (sb.st_dev, sb.st_ino, sb.st_rdev, sb.st_mode):
        return False
    if fcntl.fcntl(a, fcntl.F_GETFL) != fcntl.fcntl(b, fcntl.F_GETFL):
        return False
    try:
        return os.lseek(a, 0, os.SEEK_CUR) == os.lseek(b, 0, os.SEEK_CUR)
    except OSError:
        return True


def describe_status(status):
    if os.WIFEXITED(status):
        return "exited with status %d" % os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return "killed by %s" % signal.Signals(os.WTERMSIG(status)).name
    return "ended with wait status %d" % status


class Stored:
    def __init__(self, fd, name, poll):
        self.fd, self.name, self.poll = fd, name, poll


class Holder:
    def __init__(self, args):
        self.args = args
        self.command = args.command
        self.store = []                     # newest first, as systemd's LIST_PREPEND keeps it
        self.main_pid = 0
        self.ready = False
        self.started_at = 0.0               # monotonic
        self.start_deadline = None          # monotonic, while not READY
        self.watchdog_usec = int(args.watchdog_sec * 1e6)
        self.watchdog_deadline = None
        self.stop_deadline = None           # monotonic, after SIGTERM was sent
        self.stopping = False               # stops for good: no restart
        self.stop_requested = False         # SIGTERM/SIGINT to the holder
        self.restart_at = None
        self.starts = []                    # monotonic start times, for the start limit
        self.exit_code = 0
        self.signals = []
        self.failure = None                 # why the main process is being killed (timeout, watchdog)

        self.wake_r, self.wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(self.wake_w)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda s, f: self.signals.append(s))

        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        if args.notify_socket and args.notify_socket.startswith("@"):
            self.notify_name = args.notify_socket
            self.sock.bind("\0" + args.notify_socket[1:])
            self.socket_dir = None
        else:
            self.socket_dir = None if args.notify_socket else tempfile.mkdtemp(prefix="fdstore-holder.")
            path = args.notify_socket or os.path.join(self.socket_dir, "notify")
            if os.path.exists(path):
                os.unlink(path)
            self.sock.bind(path)
            self.notify_name = path
        self.sock.setblocking(False)

    # --- the service's process ---------------------------------------------------------------------------------

    def environment(self, fds, names):
        env = {k: v for k, v in os.environ.items() if k not in LISTEN_VARIABLES}
        env["NOTIFY_SOCKET"] = self.notify_name
        if fds:
            env["LISTEN_FDS"] = str(len(fds))
            env["LISTEN_FDNAMES"] = ":".join(names)
        if self.watchdog_usec > 0:
            env["WATCHDOG_USEC"] = str(self.watchdog_usec)
        return env

    def start(self):
        now = time.monotonic()
        self.starts = [t for t in self.starts if now - t < self.args.start_limit_interval_sec] + [now]
        if self.args.start_limit_burst > 0 and len(self.starts) > self.args.start_limit_burst:
            log("start request repeated too quickly (%d starts within %g s); giving up"
                % (len(self.starts), self.args.start_limit_interval_sec))
            return False
        fds = [s.fd for s in self.store]
        names = [s.name for s in self.store]
        env = self.environment(fds, names)
        pid = os.fork()
        if pid == 0:
            self.exec_child(fds, env)   # never returns
        self.main_pid, self.ready, self.failure = pid, False, None
        self.started_at = now
        self.start_deadline = now + self.args.timeout_start_sec if self.args.timeout_start_sec > 0 else None
        self.watchdog_deadline = now + self.watchdog_usec / 1e6 if self.watchdog_usec > 0 else None
        if self.args.pid_file:
            tmp = self.args.pid_file + ".tmp"
            with open(tmp, "w") as f:
                f.write("%d\n" % pid)
            os.replace(tmp, self.args.pid_file)
        log("started pid %d (start %d) with %d stored fd(s)%s" % (
            pid, len(self.starts), len(fds), (": " + ":".join(names)) if fds else ""))
        return True

    def exec_child(self, fds, env):
        try:
            os.setsid()
            signal.set_wakeup_fd(-1)
            for sig in range(1, signal.NSIG):
                if sig not in (signal.SIGKILL, signal.SIGSTOP):
                    try:
                        signal.signal(sig, signal.SIG_DFL)
                    except (OSError, ValueError):
                        pass
            signal.pthread_sigmask(signal.SIG_SETMASK, [])
            n = len(fds)
            # Copies above the target range first: a stored fd may already sit where another one must go.
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, FIRST_FD + n) for fd in fds]
            for i, fd in enumerate(high):
                os.dup2(fd, FIRST_FD + i, inheritable=True)
            null = os.open("/dev/null", os.O_RDWR)
            os.dup2(null, 0)
            if self.args.output:
                out = os.open(self.args.output, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                os.dup2(out, 1)
                os.dup2(out, 2)
            os.closerange(FIRST_FD + n, os.sysconf("SC_OPEN_MAX"))
            if n:
                env["LISTEN_PID"] = str(os.getpid())
            if self.watchdog_usec > 0:
                env["WATCHDOG_PID"] = str(os.getpid())
            os.execvpe(self.command[0], self.command, env)
        except BaseException as e:  # noqa: B036 -- whatever happens here, the child must not return
            try:
                os.write(2, ("fdstore-holder: cannot execute %s: %s\n" % (self.command[0], e)).encode())
            finally:
                os._exit(EXIT_EXEC)

    def kill_main(self, sig, why):
        if self.main_pid:
            log("sending %s to pid %d (%s)" % (signal.Signals(sig).name, self.main_pid, why))
            try:
                os.killpg(self.main_pid, sig)   # the whole session, as KillMode=control-group reaches all
            except ProcessLookupError:
                try:
                    os.kill(self.main_pid, sig)
                except ProcessLookupError:
                    pass

    def reaped(self, pid, status):
        if pid != self.main_pid:
            return
        self.main_pid = 0
        self.start_deadline = self.watchdog_deadline = self.stop_deadline = None
        if os.WIFEXITED(status):
            code = os.WEXITSTATUS(status)
            failed = code != 0
            prevented = code in self.args.restart_prevent_exit_status
        else:
            code = 128 + os.WTERMSIG(status)
            failed = os.WTERMSIG(status) not in CLEAN_SIGNALS
            prevented = False
        # a stop asked of the holder succeeds when the service ends cleanly, as `systemctl stop` does
        self.exit_code = 0 if self.stop_requested and (code == 0 or code == 128 + signal.SIGTERM) else code
        failed = failed or self.failure is not None
        restart = (not self.stopping and not prevented
                   and (self.args.restart == "always" or (self.args.restart == "on-failure" and failed)))
        log("pid %d %s%s; %s" % (pid, describe_status(status),
                                 " (%s)" % self.failure if self.failure else "",
                                 "restarting in %g s" % self.args.restart_sec if restart else "not restarting"))
        if restart:
            self.restart_at = time.monotonic() + self.args.restart_sec
        else:
            self.stopping = True

    # --- notifications -----------------------------------------------------------------------------------------

    def receive(self):
        try:
            data, ancillary, flags, _ = self.sock.recvmsg(
                NOTIFY_BUFFER_MAX, socket.CMSG_SPACE(NOTIFY_FD_MAX * 4) + socket.CMSG_SPACE(UCRED.size),
                socket.MSG_CMSG_CLOEXEC)
        except (BlockingIOError, InterruptedError):
            return False
        fds, pid = [], None
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                usable = len(payload) - len(payload) % 4
                fds.extend(struct.unpack("%di" % (usable // 4), payload[:usable]))
            elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(payload) >= UCRED.size:
                pid = UCRED.unpack(payload[:UCRED.size])[0]
        try:
            self.notification(data, flags, fds, pid)
        finally:
            for fd in fds:
                if fd >= 0:
                    os.close(fd)
        return True

    def notification(self, data, flags, fds, pid):
        """Handles one datagram; fds left in the list are closed by the caller."""
        if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
            log("notification truncated (more than %d bytes or %d fds); ignored" % (NOTIFY_BUFFER_MAX, NOTIFY_FD_MAX))
            return
        if pid is None:
            log("notification without credentials; ignored")
            return
        if pid != self.main_pid:
            log("notification from pid %d, but reception only permitted for main pid %s; ignored"
                % (pid, self.main_pid or "(none)"))
            return
        if b"\0" in data:
            log("notification from pid %d with an embedded NUL; ignored" % pid)
            return
        try:
            tags = [t for t in data.decode("utf-8").split("\n") if t]
        except UnicodeDecodeError:
            log("notification from pid %d is not UTF-8; ignored" % pid)
            return
        values = {}
        for tag in tags:
            key, sep, value = tag.partition("=")
            if sep and key not in values:   # systemd takes the first occurrence (strv_find_startswith)
                values[key] = value
        shown = [t for t in tags if not t.startswith("STATUS=")]
        if "STATUS" in values:
            shown.append("STATUS=" + values["STATUS"])
        log("pid %d: %s%s" % (pid, " ".join(shown), " (+%d fd)" % len(fds) if fds else ""))

        if "MAINPID" in values:
            log("MAINPID=%s ignored: this stand-in follows only the process it started" % values["MAINPID"])
        if values.get("STOPPING") == "1":
            pass                            # logged above; the exit decides what happens next
        elif values.get("READY") == "1" and not self.ready:
            self.ready = True
            self.start_deadline = None
            log("pid %d is ready after %.3f s" % (pid, time.monotonic() - self.started_at))
        if "EXTEND_TIMEOUT_USEC" in values and self.start_deadline is not None:
            try:
                self.start_deadline = max(self.start_deadline,
                                          time.monotonic() + int(values["EXTEND_TIMEOUT_USEC"]) / 1e6)
            except ValueError:
                log("EXTEND_TIMEOUT_USEC=%s is not a number; ignored" % values["EXTEND_TIMEOUT_USEC"])
        if "WATCHDOG_USEC" in values:
            try:
                self.watchdog_usec = int(values["WATCHDOG_USEC"])
                self.watchdog_deadline = time.monotonic() + self.watchdog_usec / 1e6 if self.watchdog_usec else None
            except ValueError:
                log("WATCHDOG_USEC=%s is not a number; ignored" % values["WATCHDOG_USEC"])
        if values.get("WATCHDOG") == "1" and self.watchdog_usec > 0:
            self.watchdog_deadline = time.monotonic() + self.watchdog_usec / 1e6
        elif values.get("WATCHDOG") == "trigger":
            self.watchdog_expired("watchdog triggered by the service")

        if "FDSTOREREMOVE=1" in tags:
            name = values.get("FDNAME")
            if name is None or not fdname_is_valid(name):
                log("FDSTOREREMOVE=1 without a valid FDNAME=; ignored")
            else:
                self.remove_stored(name)
        elif "FDSTORE=1" in tags:
            name = values.get("FDNAME")
            if name is not None and not fdname_is_valid(name):
                log("FDNAME=%s is invalid; stored as 'stored'" % name)
                name = None
            poll = "FDPOLL=0" not in tags
            while fds:
                self.add_stored(fds.pop(0), name or "stored", poll)
        elif fds:
            log("%d fd(s) passed without FDSTORE=1; closed" % len(fds))

    def add_stored(self, fd, name, poll):
        for s in self.store:
            if same_fd(s.fd, fd):
                os.close(fd)
                log("fd '%s' is already stored; duplicate closed" % name)
                return
        if len(self.store) >= self.args.fd_store_max:
            os.close(fd)
            log("cannot store more fds than --fd-store-max=%d; '%s' closed" % (self.args.fd_store_max, name))
            return
        self.store.insert(0, Stored(fd, name, poll))
        log("stored fd '%s' (%d stored)" % (name, len(self.store)))

    def remove_stored(self, name):
        kept = []
        for s in self.store:
            if s.name == name:
                os.close(s.fd)
            else:
                kept.append(s)
        log("removed %d stored fd(s) named '%s' (%d stored)" % (len(self.store) - len(kept), name, len(kept)))
        self.store = kept

    def release_store(self):
        if self.store:
            log("releasing %d stored fd(s)" % len(self.store))
        for s in self.store:
            os.close(s.fd)
        self.store = []

    # --- timers ------------------------------------------------------------------------------------------------

    def watchdog_expired(self, why):
        if self.main_pid and self.failure is None:
            self.failure = why
            self.kill_main(self.args.watchdog_signal, why)
            self.stop_deadline = time.monotonic() + self.args.timeout_stop_sec

    def timers(self, now):
        if self.main_pid and self.start_deadline is not None and now >= self.start_deadline:
            self.start_deadline = None
            self.failure = "start timeout: no READY=1 within %g s" % self.args.timeout_start_sec
            self.kill_main(signal.SIGTERM, self.failure)
            self.stop_deadline = now + self.args.timeout_stop_sec
        if self.main_pid and self.watchdog_deadline is not None and now >= self.watchdog_deadline:
            self.watchdog_deadline = None
            self.watchdog_expired("watchdog timeout (limit %g s)" % (self.watchdog_usec / 1e6))
        if self.main_pid and self.stop_deadline is not None and now >= self.stop_deadline:
            self.stop_deadline = None
            self.kill_main(signal.SIGKILL, "still running %g s after it was asked to stop" % self.args.timeout_stop_sec)

    def next_timeout(self, now):
        deadlines = [d for d in (self.start_deadline, self.watchdog_deadline, self.stop_deadline, self.restart_at)
                     if d is not None]
        return max(0, min(deadlines) - now) if deadlines else None

    # --- the loop ----------------------------------------------------------------------------------------------

    def run(self):
        log("notify socket %s; command %s" % (self.notify_name, " ".join(self.command)))
        if not self.start():
            return 1
        while self.main_pid or not self.stopping:
            now = time.monotonic()
            if self.restart_at is not None and now >= self.restart_at and not self.stopping:
                self.restart_at = None
                if not self.start():
                    self.stopping = True
                    break
            self.timers(now)
            poller = select.poll()
            poller.register(self.sock.fileno(), select.POLLIN)
            poller.register(self.wake_r, select.POLLIN)
            polled = {}
            for s in self.store:
                if s.poll:
                    poller.register(s.fd, 0)      # POLLHUP/POLLERR only, as systemd's event source
                    polled[s.fd] = s
            timeout = self.next_timeout(time.monotonic())
            try:
                events = poller.poll(None if timeout is None else max(1, int(timeout * 1000)))
            except InterruptedError:
                events = []
            for fd, revents in events:
                if fd == self.wake_r:
                    try:
                        os.read(self.wake_r, 512)
                    except BlockingIOError:
                        pass
                elif fd == self.sock.fileno():
                    while self.receive():
                        pass
                elif fd in polled and revents & (select.POLLHUP | select.POLLERR):
                    log("stored fd '%s' reported %s; dropped" % (
                        polled[fd].name, "POLLHUP" if revents & select.POLLHUP else "POLLERR"))
                    os.close(fd)
                    self.store = [s for s in self.store if s.fd != fd]
            self.handle_signals()
        # the service stopped for good
        while self.receive():
            pass
        self.release_store()
        if self.socket_dir:
            os.unlink(self.notify_name)
            os.rmdir(self.socket_dir)
        return self.exit_code

    def handle_signals(self):
        while self.signals:
            sig = self.signals.pop(0)
            if sig == signal.SIGCHLD:
                while True:
                    try:
                        pid, status = os.waitpid(-1, os.WNOHANG)
                    except ChildProcessError:
                        break
                    if pid == 0:
                        break
                    # read what the process said before it died: it may have stored an fd just before
                    while self.receive():
                        pass
                    self.reaped(pid, status)
            elif not self.stopping:
                log("%s received: stopping the service" % signal.Signals(sig).name)
                self.stopping = self.stop_requested = True
                self.restart_at = None
                if self.main_pid:
                    self.kill_main(signal.SIGTERM, "stop")
                    self.stop_deadline = time.monotonic() + self.args.timeout_stop_sec
                else:
                    self.exit_code = 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--restart", choices=("no", "on-failure", "always"), default="on-failure",
                   help="Restart= (default on-failure)")
    p.add_argument("--restart-sec", type=float, default=0.1, help="RestartSec= in seconds (default 0.1)")
    p.add_argument("--restart-prevent-exit-status", type=int, action="append", default=[],
                   help="RestartPreventExitStatus= (repeatable)")
    p.add_argument("--start-limit-burst", type=int, default=5, help="StartLimitBurst= (default 5; 0: no limit)")
    p.add_argument("--start-limit-interval-sec", type=float, default=10.0,
                   help="StartLimitIntervalSec= (default 10)")
    p.add_argument("--timeout-start-sec", type=float, default=90.0, help="TimeoutStartSec= (default 90; 0: none)")
    p.add_argument("--timeout-stop-sec", type=float, default=90.0, help="TimeoutStopSec= (default 90)")
    p.add_argument("--watchdog-sec", type=float, default=0.0, help="WatchdogSec= (default 0: none)")
    p.add_argument("--watchdog-signal", type=lambda s: signal.Signals["SIG" + s.upper().removeprefix("SIG")],
                   default=signal.SIGABRT, help="WatchdogSignal= (default ABRT)")
    p.add_argument("--fd-store-max", type=int, default=64, help="FileDescriptorStoreMax= (default 64)")
    p.add_argument("--notify-socket", help="the socket's path or @abstract name (default: a fresh temp dir)")
    p.add_argument("--output", help="append the service's stdout and stderr to this file (default: inherit)")
    p.add_argument("--pid-file", help="keep the main pid here")
    p.add_argument("command", nargs="+", help="the service's command (ExecStart=)")
    args = p.parse_args(argv)
    return Holder(args).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
