package dev.ondemandd.daemon.systemd;

import java.io.FileDescriptor;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * The sd_notify(3) protocol, written on junixsocket: newline-separated {@code KEY=VALUE} datagrams to the
 * AF_UNIX socket named by {@code $NOTIFY_SOCKET} (a path, or {@code @name} for the abstract namespace), with
 * file descriptors for the fd store passed as SCM_RIGHTS.
 *
 * <p>Without {@code $NOTIFY_SOCKET} (not started by systemd, or NotifyAccess=none) every method is a no-op
 * that returns false, so callers never branch on "are we under systemd". A failed send is logged once per
 * notifier and reported as false: losing a status line must never take the daemon down, and if READY=1 is
 * lost systemd's start timeout says so loudly enough.
 */
public final class SystemdNotifier implements AutoCloseable {

    /** The environment variable systemd sets for Type=notify services. */
    public static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";

    /** systemd's limit for FDNAME= (FDNAME_MAX in src/basic/fd-util.h). */
    public static final int FD_NAME_MAX = 255;

    /** STATUS= lines beyond this are cut: systemd shows them in one line of {@code systemctl status}. */
    public static final int STATUS_MAX = 512;

    private static final System.Logger LOG = System.getLogger(SystemdNotifier.class.getName());
    private static final SystemdNotifier DISABLED = new SystemdNotifier(null, 0, System::nanoTime);

    private final AFUNIXSocketAddress target;
    private final Watchdog watchdog;
    private final Object sendLock = new Object();
    private AFUNIXDatagramSocket socket;
    private boolean failureLogged;

    private SystemdNotifier(AFUNIXSocketAddress target, long watchdogUsec, LongSupplier nanoClock) {
        this.target = target;
        this.watchdog = target != null && watchdogUsec > 0
                ? new Watchdog(watchdogUsec, nanoClock, this::watchdogPing)
                : Watchdog.disabled();
    }

    /** A notifier for this process's environment. */
    public static SystemdNotifier fromEnvironment() {
        return fromEnvironment(System.getenv(), ProcessHandle.current().pid());
    }

    /**
     * A notifier for the given environment: {@code NOTIFY_SOCKET} picks the socket, {@code WATCHDOG_USEC} and
     * {@code WATCHDOG_PID} the watchdog ({@code pid} is this process, to check WATCHDOG_PID against).
     *
     * @throws IllegalArgumentException when a variable is set but malformed (systemd never does that: the
     *                                  service was started by hand with a wrong environment)
     */
    public static SystemdNotifier fromEnvironment(Map<String, String> env, long pid) {
        String socketName = env.get(NOTIFY_SOCKET);
        if (socketName == null || socketName.isEmpty()) {
            return DISABLED;
        }
        AFUNIXSocketAddress address = parseAddress(socketName);
        if (address == null) {
            LOG.log(System.Logger.Level.WARNING, "NOTIFY_SOCKET={0} is not a path or @abstract name;"
                    + " sd_notify is off", socketName);
            return DISABLED;
        }
        return new SystemdNotifier(address, Watchdog.usecFromEnvironment(env, pid), System::nanoTime);
    }

    /**
     * A notifier sending to {@code address} with a watchdog of {@code watchdogUsec} (0: none) on
     * {@code nanoClock}, for tests and for a supervisor other than systemd.
     */
    public static SystemdNotifier to(AFUNIXSocketAddress address, long watchdogUsec, LongSupplier nanoClock) {
        return new SystemdNotifier(Objects.requireNonNull(address), watchdogUsec, nanoClock);
    }

    /** A notifier that sends nothing. */
    public static SystemdNotifier disabled() {
        return DISABLED;
    }

    static AFUNIXSocketAddress parseAddress(String socketName) {
        try {
            if (socketName.startsWith("@") && socketName.length() > 1) {
                return AFUNIXSocketAddress.inAbstractNamespace(socketName.substring(1));
            }
            if (socketName.startsWith("/")) {
                return AFUNIXSocketAddress.of(Path.of(socketName));
            }
        } catch (SocketException e) {
            LOG.log(System.Logger.Level.WARNING, "NOTIFY_SOCKET={0} unusable: {1}", socketName, e.getMessage());
        }
        return null; // vsock: and relative names are not ours to guess at
    }

    /** True when notifications go somewhere. */
    public boolean enabled() {
        return target != null;
    }

    /** The watchdog that the serving loops keep alive; a disabled one when systemd set no WatchdogSec. */
    public Watchdog watchdog() {
        return watchdog;
    }

    /** READY=1 with a STATUS= line: the device is bound (or the marks are set) and requests are served. */
    public boolean ready(String status) {
        return send("READY=1\nSTATUS=" + statusValue(status));
    }

    /** STATUS=: one line a human reads in {@code systemctl status}. */
    public boolean status(String status) {
        return send("STATUS=" + statusValue(status));
    }

    /** STOPPING=1: shutdown began (draining); systemd stops expecting watchdog pings soon. */
    public boolean stopping(String status) {
        return send("STOPPING=1\nSTATUS=" + statusValue(status));
    }

    /** EXTEND_TIMEOUT_USEC=: startup or shutdown needs longer than TimeoutStartSec/TimeoutStopSec allow. */
    public boolean extendTimeout(Duration by) {
        return send("EXTEND_TIMEOUT_USEC=" + TimeUnit.NANOSECONDS.toMicros(by.toNanos()));
    }

    /** WATCHDOG=1 right now; serving loops go through {@link Watchdog.Loop#alive()} instead. */
    public boolean watchdogPing() {
        return send("WATCHDOG=1");
    }

    /**
     * FDSTORE=1 with FDNAME= and FDPOLL=0: hands a duplicate of {@code fd} to systemd, which keeps it across a
     * restart of the service and passes it back through LISTEN_FDS. FDPOLL=0 because systemd would otherwise
     * drop the fd on POLLHUP/POLLERR, and the device and fanotify fds signal readiness we do not want it to
     * act on. The caller keeps its own fd; storing the same name twice stores two fds.
     */
    public boolean storeFd(String name, int fd) {
        checkFdName(name);
        if (fd < 0) {
            throw new IllegalArgumentException("not an fd: " + fd);
        }
        if (!enabled()) {
            return false;
        }
        FileDescriptor descriptor;
        try {
            descriptor = FileDescriptorCast.unsafeUsing(fd).getFileDescriptor();
        } catch (IOException e) {
            logFailure("FDSTORE " + name, e);
            return false;
        }
        return send("FDSTORE=1\nFDNAME=" + name + "\nFDPOLL=0", descriptor);
    }

    /** FDSTOREREMOVE=1: drops the stored fds named {@code name} (the device was closed on purpose). */
    public boolean removeStoredFd(String name) {
        checkFdName(name);
        return send("FDSTOREREMOVE=1\nFDNAME=" + name);
    }

    /**
     * Valid fd names as systemd's fdname_is_valid(): 1 to {@value #FD_NAME_MAX} printable ASCII characters
     * other than ':' (the LISTEN_FDNAMES separator).
     */
    static void checkFdName(String name) {
        if (name == null || name.isEmpty() || name.length() > FD_NAME_MAX) {
            throw new IllegalArgumentException("fd name must be 1 to " + FD_NAME_MAX + " characters: " + name);
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || c >= 0x7f || c == ':') {
                throw new IllegalArgumentException("fd name must be printable ASCII without ':' or spaces: "
                        + name);
            }
        }
    }

    private static String statusValue(String status) {
        String line = status.replace('\n', ' ').replace('\r', ' ');
        return line.length() <= STATUS_MAX ? line : line.substring(0, STATUS_MAX);
    }

    private boolean send(String message, FileDescriptor... fds) {
        if (!enabled()) {
            return false;
        }
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        synchronized (sendLock) {
            try {
                if (socket == null) {
                    // connected, because junixsocket's addresses count as "unresolved" for DatagramPacket
                    socket = AFUNIXDatagramSocket.newInstance();
                    socket.connect(target);
                }
                if (fds.length > 0) {
                    socket.setOutboundFileDescriptors(fds);
                }
                socket.send(new DatagramPacket(bytes, bytes.length));
                return true;
            } catch (IOException e) {
                // reconnect next time: systemd re-executing itself binds a new socket under the same name
                if (socket != null) {
                    socket.close();
                    socket = null;
                }
                logFailure(message.substring(0, message.indexOf('=')), e);
                return false;
            }
        }
    }

    private void logFailure(String what, IOException e) {
        if (!failureLogged) {
            failureLogged = true;
            LOG.log(System.Logger.Level.WARNING, "sd_notify {0} to {1} failed: {2}; further failures not logged",
                    what, target, e.toString());
        }
    }

    @Override
    public void close() {
        synchronized (sendLock) {
            if (socket != null) {
                socket.close();
                socket = null;
            }
        }
    }
}
