package dev.ondemandd.protocol.nativeio;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.ptr.IntByReference;
import java.util.List;

/**
 * Starting and reaping a child process that inherits chosen file descriptors — what {@link ProcessBuilder}
 * cannot do, and what a supervisor holding a fanotify group needs to hand it to the process it starts.
 */
public final class Processes {
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;

    private static final int ESRCH = 3;
    private static final int ECHILD = 10;
    private static final int F_DUPFD_CLOEXEC = 1030;

    private Processes() {
    }

    /** How a child ended, decoded from its wait status. */
    public record Exit(int code, int signal) {
        /** Whether the child ended by exit(2) (else by a signal). */
        public boolean exited() {
            return signal == 0;
        }

        @Override
        public String toString() {
            return exited() ? "exit code " + code : "signal " + signal;
        }
    }

    /**
     * posix_spawn(3) {@code argv[0]} at {@code path}: the child gets {@code passFds} as fds 3, 4, … (in order; the
     * convention of sd_listen_fds), its stdio from this process, no other fd of ours, every signal at its
     * default and unblocked, in a process group of its own (so a terminal's ^C reaches only the supervisor,
     * which decides what the child hears).
     *
     * @return the child's pid
     */
    public static int spawn(String path, List<String> argv, List<String> env, int[] passFds) throws ErrnoException {
        int first = 3;
        int[] copies = new int[passFds.length];
        java.util.Arrays.fill(copies, -1);
        Memory actions = new Memory(SpawnNative.FILE_ACTIONS_SIZE);
        Memory attr = new Memory(SpawnNative.ATTR_SIZE);
        Memory noSignals = new Memory(SpawnNative.SIGSET_SIZE);
        Memory allSignals = new Memory(SpawnNative.SIGSET_SIZE);
        SpawnNative c = SpawnNative.C;
        try {
            // Copies above every target number, so no dup2 overwrites a source a later one still needs.
            for (int i = 0; i < passFds.length; i++) {
                copies[i] = c.fcntl(passFds[i], F_DUPFD_CLOEXEC, first + passFds.length);
            }
            check(c.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            check(c.posix_spawnattr_init(attr), "posix_spawnattr_init");
            try {
                for (int i = 0; i < copies.length; i++) {
                    check(c.posix_spawn_file_actions_adddup2(actions, copies[i], first + i), "adddup2");
                }
                check(c.posix_spawn_file_actions_addclosefrom_np(actions, first + passFds.length), "addclosefrom_np");
                c.sigemptyset(noSignals);
                c.sigfillset(allSignals);
                check(c.posix_spawnattr_setsigmask(attr, noSignals), "setsigmask");
                check(c.posix_spawnattr_setsigdefault(attr, allSignals), "setsigdefault");
                check(c.posix_spawnattr_setpgroup(attr, 0), "setpgroup");
                check(c.posix_spawnattr_setflags(attr, (short) (SpawnNative.POSIX_SPAWN_SETSIGMASK
                        | SpawnNative.POSIX_SPAWN_SETSIGDEF | SpawnNative.POSIX_SPAWN_SETPGROUP)), "setflags");
                IntByReference pid = new IntByReference();
                int err = c.posix_spawn(pid, path, actions, attr, argv.toArray(String[]::new),
                        env.toArray(String[]::new));
                if (err != 0) {
                    throw new ErrnoException("posix_spawn", path, err);
                }
                return pid.getValue();
            } finally {
                c.posix_spawn_file_actions_destroy(actions);
                c.posix_spawnattr_destroy(attr);
            }
        } catch (LastErrorException e) {
            throw new ErrnoException("fcntl(F_DUPFD_CLOEXEC)", null, e.getErrorCode());
        } finally {
            for (int copy : copies) {
                if (copy >= 0) {
                    Posix.close(copy);
                }
            }
        }
    }

    private static void check(int err, String what) throws ErrnoException {
        if (err != 0) {
            throw new ErrnoException(what, err);
        }
    }

    /** Blocks until child {@code pid} ends and reaps it. */
    public static Exit waitFor(int pid) throws ErrnoException {
        IntByReference status = new IntByReference();
        while (true) {
            try {
                SpawnNative.C.waitpid(pid, status, 0);
                int s = status.getValue();
                int signal = s & 0x7f;
                return signal == 0 ? new Exit((s >> 8) & 0xff, 0) : new Exit(128 + signal, signal);
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Errno.EINTR) {
                    throw new ErrnoException("waitpid", "pid " + pid, e.getErrorCode());
                }
            }
        }
    }

    /**
     * kill(2).
     *
     * @return false when the process is gone already
     */
    public static boolean signal(int pid, int signal) throws ErrnoException {
        if (pid <= 0) {
            throw new IllegalArgumentException("not a single process: " + pid);
        }
        try {
            SpawnNative.C.kill(pid, signal);
            return true;
        } catch (LastErrorException e) {
            if (e.getErrorCode() == ESRCH || e.getErrorCode() == ECHILD) {
                return false;
            }
            throw new ErrnoException("kill", "pid " + pid, e.getErrorCode());
        }
    }
}
