package dev.ondemandd.daemon.supervisor;

import dev.ondemandd.daemon.ops.StopMode;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a worker is started: this JVM again (same java, JVM flags and class path) running {@code ondemandd ARGS},
 * through a shell shim that sets LISTEN_PID to its own pid and then execs java — exec keeps the pid, so the
 * worker sees LISTEN_PID equal to its pid, as sd_listen_fds(3) requires, which a parent cannot know before the
 * child exists. The shim also gives the worker back the OOM score the supervisor had before lowering its own.
 */
record WorkerCommand(String shell, List<String> command) {
    static final String MAIN_CLASS = "dev.ondemandd.daemon.cli.Main";
    private static final String SHIM = "export LISTEN_PID=$$; [ -n \"$WATCHDOG_USEC\" ] && export WATCHDOG_PID=$$; "
            + "[ -n \"$ONDEMANDD_WORKER_OOM_SCORE_ADJ\" ] && echo \"$ONDEMANDD_WORKER_OOM_SCORE_ADJ\""
            + " > /proc/self/oom_score_adj 2>/dev/null; unset ONDEMANDD_WORKER_OOM_SCORE_ADJ; exec \"$@\"";
    /** Variables of this process's own supervisor (systemd) that must not leak to the worker. */
    private static final List<String> OURS = List.of("NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES",
            "WATCHDOG_USEC", "WATCHDOG_PID", "ONDEMANDD_WORKER_OOM_SCORE_ADJ", StopMode.HOLDER_STOPPING);

    /** {@code ondemandd ARGS} on this JVM. */
    static WorkerCommand ofThisJvm(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + "/bin/java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(MAIN_CLASS);
        cmd.addAll(args);
        return new WorkerCommand("/bin/sh", List.copyOf(cmd));
    }

    /** argv for posix_spawn of {@link #shell()}: the shim, then the command. */
    List<String> argv() {
        List<String> argv = new ArrayList<>(List.of(shell, "-c", SHIM, "ondemandd-worker"));
        argv.addAll(command);
        return argv;
    }

    /**
     * The worker's environment: ours without our own supervisor's variables, plus NOTIFY_SOCKET, the file that
     * says this supervisor is stopping ({@link StopMode#HOLDER_STOPPING}) and, when fds are handed over, LISTEN_FDS /
     * LISTEN_FDNAMES.
     */
    static List<String> environment(Map<String, String> ours, String notifySocket, String stoppingFile, int fds,
            String fdNames, String workerOomScoreAdj) {
        return environment(ours, notifySocket, stoppingFile, fds, fdNames, workerOomScoreAdj, java.time.Duration.ZERO);
    }

    /** As above, with WATCHDOG_USEC when the worker's watchdog is on (its shim sets WATCHDOG_PID to the worker). */
    static List<String> environment(Map<String, String> ours, String notifySocket, String stoppingFile, int fds,
            String fdNames, String workerOomScoreAdj, java.time.Duration watchdog) {
        Map<String, String> env = new LinkedHashMap<>(ours);
        OURS.forEach(env::remove);
        env.put("NOTIFY_SOCKET", notifySocket);
        env.put(StopMode.HOLDER_STOPPING, stoppingFile);
        if (fds > 0) {
            env.put("LISTEN_FDS", Integer.toString(fds));
            env.put("LISTEN_FDNAMES", fdNames);
        }
        if (!watchdog.isZero()) {
            env.put("WATCHDOG_USEC", Long.toString(java.util.concurrent.TimeUnit.NANOSECONDS.toMicros(
                    watchdog.toNanos())));
        }
        if (workerOomScoreAdj != null) {
            env.put("ONDEMANDD_WORKER_OOM_SCORE_ADJ", workerOomScoreAdj);
        }
        List<String> list = new ArrayList<>();
        env.forEach((k, v) -> list.add(k + "=" + v));
        return list;
    }
}
