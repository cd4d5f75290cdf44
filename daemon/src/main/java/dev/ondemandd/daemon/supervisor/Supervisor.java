package dev.ondemandd.daemon.supervisor;

import dev.ondemandd.protocol.nativeio.ErrnoException;
import dev.ondemandd.protocol.nativeio.Processes;
import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.DatagramPacket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import dev.ondemandd.daemon.systemd.SystemdNotifier;
import dev.ondemandd.daemon.systemd.Watchdog;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * Keeps the fds of an ondemandd worker — the fanotify group above all, whose last close would let every pending
 * read of a hole through to zeros — and restarts the worker when it dies, handing them back. It speaks
 * systemd's protocol, so the worker has one code path under systemd and here: the worker gets NOTIFY_SOCKET (a
 * datagram socket of ours) and sends READY=1, STATUS=, FDSTORE=1 with FDNAME= (the fds as SCM_RIGHTS) and
 * FDSTOREREMOVE=1; a restarted worker gets the stored fds as LISTEN_FDS / LISTEN_FDNAMES / LISTEN_PID.
 *
 * <p>One thread does everything (receive a datagram or time out, look at the worker, act), so a datagram the
 * dead worker sent — its FDSTORE of the group, say — is always taken before the next worker starts. A second,
 * named thread only waits for the worker to exit.
 */
public final class Supervisor {
    private static final System.Logger LOG = System.getLogger(Supervisor.class.getName());
    private static final int TICK_MILLIS = 100;
    private static final int DATAGRAM_MAX = 8192;
    private static final int ANCILLARY_BUFFER = 4096;
    static final int WORKER_OOM_MARGIN = 500;
    private static final int MAX_OOM_SCORE_ADJ = 1000;

    /** Exit codes of {@code ondemandd supervise}, the same as the worker's where they mean the same. */
    public static final int EXIT_OK = 0;
    public static final int EXIT_BAD_INPUT = 2;
    public static final int EXIT_CANNOT_SERVE = 3;

    /**
     * @param restartDelay wait before restarting a worker that was ready (doubling in a crash loop)
     * @param maxRestartDelay the longest wait
     * @param maxRestarts give up after this many restarts in a row without a ready worker (0: never)
     * @param stopTimeout how long a stop waits for the worker to unmount and exit before it is killed
     * @param oomScoreAdj this process's OOM score (lower than the worker's: the kernel's OOM killer then takes
     *     the worker, which the supervisor restarts, not the holder of the group); null leaves it
     * @param workerWatchdog the worker's WatchdogSec: a ready worker that sends no WATCHDOG=1 for this long is
     *     killed and restarted with the held fds; zero for none
     */
    public record Settings(Duration restartDelay, Duration maxRestartDelay, int maxRestarts, Duration stopTimeout,
            Path runtimeDir, Integer oomScoreAdj, Duration workerWatchdog) {

        public Settings(Duration restartDelay, Duration maxRestartDelay, int maxRestarts, Duration stopTimeout,
                Path runtimeDir, Integer oomScoreAdj) {
            this(restartDelay, maxRestartDelay, maxRestarts, stopTimeout, runtimeDir, oomScoreAdj, Duration.ZERO);
        }
    }

    private final WorkerCommand command;
    private final Settings settings;
    /** The supervisor's own service manager (systemd): READY, STATUS and STOPPING relayed, WATCHDOG from the loop. */
    private final SystemdNotifier upstream;
    private final Watchdog.Loop watchdogLoop;
    private boolean announcedReady;
    private boolean announcedStopping;
    /** When the worker last proved alive (READY=1 or WATCHDOG=1), System.nanoTime(). */
    private long workerAliveNanos;
    private final HeldFds held = new HeldFds();
    private final Backoff backoff;
    private volatile boolean stopRequested;

    private int pid = -1;
    private boolean ready;
    private boolean signalled;
    private long startedNanos;
    private int starts;
    private int failuresInARow;
    private final AtomicReference<Processes.Exit> exit = new AtomicReference<>();
    /** Exists once this supervisor is stopping: a worker stopped then answers everything instead of handing over. */
    private Path stoppingFile;

    public Supervisor(List<String> workerArgs, Settings settings, SystemdNotifier upstream) {
        this(WorkerCommand.ofThisJvm(workerArgs), settings, upstream);
    }

    Supervisor(WorkerCommand command, Settings settings) {
        this(command, settings, SystemdNotifier.disabled());
    }

    Supervisor(WorkerCommand command, Settings settings, SystemdNotifier upstream) {
        this.command = command;
        this.settings = settings;
        this.upstream = upstream;
        this.watchdogLoop = upstream.watchdog().register("supervise");
        this.backoff = new Backoff(settings.restartDelay(), settings.maxRestartDelay());
    }

    /** SIGTERM/SIGINT: the worker is asked to stop (once ready: it unmounts first); then the supervisor ends. */
    public void requestStop() {
        stopRequested = true;
    }

    /** Runs workers until one stops on purpose (exit 0), is misconfigured (2), or restarts are exhausted (3). */
    public int run() throws IOException, InterruptedException {
        Files.createDirectories(settings.runtimeDir());
        Path socketPath = settings.runtimeDir().resolve("supervise-" + ProcessHandle.current().pid() + ".notify");
        Files.deleteIfExists(socketPath);
        stoppingFile = settings.runtimeDir().resolve("supervise-" + ProcessHandle.current().pid() + ".stopping");
        Files.deleteIfExists(stoppingFile);
        String workerOom = lowerOwnOomScore();
        try (AFUNIXDatagramSocket socket = AFUNIXDatagramSocket.newInstance()) {
            socket.bind(AFUNIXSocketAddress.of(socketPath));
            Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-------"));
            socket.ensureAncillaryReceiveBufferSize(ANCILLARY_BUFFER);
            socket.setSoTimeout(TICK_MILLIS);
            return loop(socket, socketPath.toString(), workerOom);
        } finally {
            if (pid > 0) {
                LOG.log(Level.ERROR, "supervise: ending with worker pid " + pid + " still running; killing it");
                Processes.signal(pid, Processes.SIGKILL);
            }
            int n = held.count();
            held.closeAll();
            Files.deleteIfExists(socketPath);
            Files.deleteIfExists(stoppingFile);
            if (n > 0) {
                LOG.log(Level.INFO, "supervise: released " + n + " held fd(s)");
            }
        }
    }

    private int loop(AFUNIXDatagramSocket socket, String notifySocket, String workerOom)
            throws IOException, InterruptedException {
        long restartAt = System.nanoTime();
        while (true) {
            watchdogLoop.alive(); // this loop never blocks longer than a tick: a stuck supervisor stops the pings
            receive(socket);
            checkWorkerWatchdog();
            Processes.Exit ended = exit.getAndSet(null);
            if (ended != null) {
                drain(socket); // what the dead worker sent (its FDSTORE) counts before anything is decided
                int code = onExit(ended);
                if (code >= 0) {
                    return code;
                }
                // a stop still restarts (the worker unmounts before the group goes), but never in a tight loop
                Duration delay = backoff.next(wasReadyAndReset());
                restartAt = System.nanoTime() + delay.toNanos();
                LOG.log(Level.WARNING, "supervise: restarting the worker in " + delay.toMillis() + " ms with "
                        + held.count() + " held fd(s): " + (held.isEmpty() ? "none" : held.names()));
            }
            if (stopRequested && stopDeadline == 0) {
                stopDeadline = System.nanoTime() + settings.stopTimeout().toNanos();
                if (!announcedStopping) {
                    announcedStopping = true;
                    upstream.stopping("stopping: the worker answers what is in flight, then the held fds go");
                }
            }
            if (stopRequested && System.nanoTime() - stopDeadline > 0) {
                LOG.log(Level.ERROR, "supervise: the worker did not stop within " + settings.stopTimeout() + "; giving"
                        + " up (exit 3): held fds are released, reads of unfilled ranges on mounts still present"
                        + " see zeros");
                return EXIT_CANNOT_SERVE;
            }
            if (pid < 0) {
                if (stopRequested && held.isEmpty()) {
                    LOG.log(Level.INFO, "supervise: stop requested and no worker running; done");
                    return EXIT_OK;
                }
                if (System.nanoTime() >= restartAt) {
                    start(notifySocket, workerOom);
                }
            } else if (stopRequested) {
                stopWorker();
            }
        }
    }

    private boolean lastWasReady;
    private long stopDeadline;

    private boolean wasReadyAndReset() {
        boolean r = lastWasReady;
        lastWasReady = false;
        return r;
    }

    /** @return the supervisor's exit code, or -1 to restart */
    private int onExit(Processes.Exit ended) {
        long ranMillis = (System.nanoTime() - startedNanos) / 1_000_000;
        int deadPid = pid;
        pid = -1;
        lastWasReady = ready;
        if (ended.exited() && ended.code() == EXIT_OK && !stopRequested && !held.isEmpty()) {
            // a SIGTERM to the worker alone: it handed its pending requests over and left its fds here for the next
            LOG.log(Level.INFO, "supervise: worker pid " + deadPid + " exited 0 after " + ranMillis + " ms and left "
                    + held.count() + " fd(s) here (a hand-over): restarting it with them");
            return -1;
        }
        if (ended.exited() && ended.code() == EXIT_OK) {
            LOG.log(Level.INFO, "supervise: worker pid " + deadPid + " exited 0 after " + ranMillis + " ms (stopped on"
                    + " purpose); releasing " + held.count() + " held fd(s) and exiting 0");
            return EXIT_OK;
        }
        if (ended.exited() && ended.code() == EXIT_BAD_INPUT) {
            LOG.log(Level.ERROR, "supervise: worker pid " + deadPid + " exited 2 (bad configuration or usage; see its"
                    + " message above): not restarting, exiting 2");
            return EXIT_BAD_INPUT;
        }
        LOG.log(Level.ERROR, "supervise: worker pid " + deadPid + " died (" + ended + ") after " + ranMillis + " ms"
                + (ready ? "" : ", before it was ready"));
        failuresInARow = ready ? 0 : failuresInARow + 1;
        if (settings.maxRestarts() > 0 && failuresInARow > settings.maxRestarts()) {
            LOG.log(Level.ERROR, "supervise: " + failuresInARow + " workers in a row died before they were ready;"
                    + " giving up (exit 3). The held fanotify group is released now: reads of unfilled ranges on"
                    + " mounts still present see zeros. Fix the cause, unmount them, then start again.");
            return EXIT_CANNOT_SERVE;
        }
        return -1;
    }

    private void start(String notifySocket, String workerOom) throws ErrnoException {
        int[] fds = held.fds();
        List<String> env = WorkerCommand.environment(System.getenv(), notifySocket, stoppingFile.toString(),
                fds.length, held.names(), workerOom, settings.workerWatchdog());
        pid = Processes.spawn(command.shell(), command.argv(), env, fds);
        starts++;
        ready = false;
        signalled = false;
        startedNanos = System.nanoTime();
        int child = pid;
        Thread.ofPlatform().name("ondemandd-supervise-wait-" + child).daemon().start(() -> {
            try {
                exit.set(Processes.waitFor(child));
            } catch (ErrnoException e) {
                LOG.log(Level.ERROR, "supervise: waiting for worker pid " + child + ": " + e.getMessage());
                exit.set(new Processes.Exit(EXIT_CANNOT_SERVE, 0));
            }
        });
        LOG.log(Level.INFO, "supervise: started worker pid " + child + " (start " + starts + ")"
                + (fds.length == 0 ? "" : ", handing back " + fds.length + " fd(s): " + held.names()));
    }

    /**
     * Once ready, the worker gets SIGTERM after the stopping file exists, so it unmounts, answers what is in flight,
     * releases the fds and exits 0 — not a hand-over, since nobody will hold the fds after this supervisor.
     */
    private void stopWorker() throws IOException {
        if (!signalled && ready) {
            signalled = true;
            // before the signal: the worker reads it to tell this stop (the fds go) from a restart (they stay)
            if (!Files.exists(stoppingFile)) {
                Files.createFile(stoppingFile);
            }
            LOG.log(Level.INFO, "supervise: stopping worker pid " + pid + " (SIGTERM; it unmounts first)");
            Processes.signal(pid, Processes.SIGTERM);
        }
    }

    /**
     * A ready worker that sent no WATCHDOG=1 within the worker watchdog interval is stuck: it is killed (SIGKILL:
     * a stuck JVM may not run its shutdown) and restarted with the held fds, as systemd does with WatchdogSec=.
     */
    private void checkWorkerWatchdog() throws ErrnoException {
        Duration limit = settings.workerWatchdog();
        if (limit.isZero() || pid < 0 || !ready || signalled || System.nanoTime() - workerAliveNanos < limit.toNanos()) {
            return;
        }
        LOG.log(Level.ERROR, "supervise: worker pid " + pid + " sent no WATCHDOG=1 for " + limit + " (a serving loop is"
                + " stuck): killing it; it is restarted with the held fds");
        upstream.status("worker pid " + pid + " missed its watchdog; restarting it");
        signalled = true;
        Processes.signal(pid, Processes.SIGKILL);
    }

    /** Takes one datagram, waiting up to the socket's timeout; false when none came. */
    private boolean receive(AFUNIXDatagramSocket socket) throws IOException {
        byte[] buf = new byte[DATAGRAM_MAX];
        DatagramPacket packet = new DatagramPacket(buf, buf.length);
        try {
            socket.receive(packet);
        } catch (SocketTimeoutException e) {
            return false;
        }
        FileDescriptor[] fds = socket.getReceivedFileDescriptors();
        socket.clearReceivedFileDescriptors();
        handle(NotifyMessage.parse(new String(buf, 0, packet.getLength(), StandardCharsets.UTF_8)),
                fds == null ? new FileDescriptor[0] : fds);
        return true;
    }

    /** Takes every datagram already queued. */
    private void drain(AFUNIXDatagramSocket socket) throws IOException {
        socket.setSoTimeout(1);
        try {
            while (receive(socket)) {
                continue;
            }
        } finally {
            socket.setSoTimeout(TICK_MILLIS);
        }
    }

    private void handle(NotifyMessage m, FileDescriptor[] fds) throws IOException {
        if (m.fdStore()) {
            for (FileDescriptor fd : fds) {
                held.add(m.fdName(), FileDescriptorCast.using(fd).as(Integer.class));
            }
            LOG.log(Level.INFO, "supervise: holding " + fds.length + " fd(s) named " + m.fdName() + " ("
                    + held.count() + " in all)");
        } else {
            for (FileDescriptor fd : fds) { // fds without FDSTORE=1 are not ours to keep
                dev.ondemandd.protocol.nativeio.Posix.close(FileDescriptorCast.using(fd).as(Integer.class));
            }
        }
        if (m.fdStoreRemove()) {
            int n = held.remove(m.fdName());
            LOG.log(Level.INFO, "supervise: released " + n + " fd(s) named " + m.fdName());
        }
        if (m.watchdog() || m.ready()) {
            workerAliveNanos = System.nanoTime();
        }
        if (m.ready() && pid > 0 && !ready) {
            ready = true;
            failuresInARow = 0;
            LOG.log(Level.INFO, "supervise: worker pid " + pid + " is ready"
                    + (m.status() == null ? "" : ": " + m.status()));
            String status = "worker pid " + pid + (m.status() == null ? " ready" : ": " + m.status());
            if (!announcedReady) {
                announcedReady = true;
                upstream.ready(status);
            } else {
                upstream.status(status);
            }
            return;
        }
        if (m.status() != null) {
            upstream.status("worker pid " + pid + ": " + m.status());
        }
        if (m.stopping()) {
            LOG.log(Level.INFO, "supervise: worker pid " + pid + " is stopping"
                    + (m.status() == null ? "" : ": " + m.status()));
        }
    }

    /**
     * Orders the OOM killer's choice: the worker (restarted, its pending reads recovered) before the holder
     * (released group: zeros). Lowering needs CAP_SYS_RESOURCE and may be refused; raising never is, so the worker
     * always gets {@value #WORKER_OOM_MARGIN} more than this process ends up with (at most 1000).
     *
     * @return the worker's oom_score_adj, for the shim to set; null when /proc cannot be read
     */
    private String lowerOwnOomScore() {
        Path own = Path.of("/proc/self/oom_score_adj");
        try {
            int before = Integer.parseInt(Files.readString(own).trim());
            if (settings.oomScoreAdj() != null && settings.oomScoreAdj() < before) {
                try {
                    Files.writeString(own, settings.oomScoreAdj().toString());
                } catch (IOException e) {
                    LOG.log(Level.INFO, "supervise: cannot lower its OOM score to " + settings.oomScoreAdj() + " ("
                            + e.getMessage() + "); raising the worker's instead");
                }
            }
            int now = Integer.parseInt(Files.readString(own).trim());
            return Integer.toString(Math.min(MAX_OOM_SCORE_ADJ, Math.max(before, now + WORKER_OOM_MARGIN)));
        } catch (IOException | NumberFormatException e) {
            LOG.log(Level.WARNING, "supervise: cannot read its OOM score (" + e + "); the OOM killer may pick the"
                    + " holder of the fanotify group");
            return null;
        }
    }
}
