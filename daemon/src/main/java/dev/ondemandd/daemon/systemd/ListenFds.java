package dev.ondemandd.daemon.systemd;

import dev.ondemandd.protocol.nativeio.ErrnoException;
import dev.ondemandd.protocol.nativeio.Posix;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The fds systemd handed to this process at start (sd_listen_fds(3)): {@code LISTEN_FDS} fds numbered from
 * {@value #FIRST_FD}, named by the colon-separated {@code LISTEN_FDNAMES}, meant for us only when
 * {@code LISTEN_PID} is our pid. After a restart these are the fds the previous run put into the fd store
 * (FDSTORE=1 with FDNAME=), so a frontend {@linkplain #take takes} its device or fanotify fd from here instead
 * of opening a new one: the kernel keeps the pending requests on the old fd.
 *
 * <p>Not thread-safe: taken once, at start, by the thread that builds the frontends.
 */
public final class ListenFds {

    /** SD_LISTEN_FDS_START: the first passed fd; 0 to 2 stay stdio. */
    public static final int FIRST_FD = 3;

    /** More fds than this is a misconfigured environment, not a fd store (FileDescriptorStoreMax is small). */
    public static final int MAX_FDS = 4096;

    public static final String LISTEN_PID = "LISTEN_PID";
    public static final String LISTEN_FDS = "LISTEN_FDS";
    public static final String LISTEN_FDNAMES = "LISTEN_FDNAMES";

    /** The name systemd gives fds passed without a name. */
    public static final String UNKNOWN_NAME = "unknown";

    private static final System.Logger LOG = System.getLogger(ListenFds.class.getName());

    private final Map<String, Deque<Integer>> byName;
    private final int count;

    private ListenFds(Map<String, Deque<Integer>> byName, int count) {
        this.byName = byName;
        this.count = count;
    }

    /** No fds passed. */
    public static ListenFds none() {
        return new ListenFds(Collections.emptyMap(), 0);
    }

    /**
     * The fds passed to this process, each made close-on-exec as sd_listen_fds(3) does: systemd passes them without
     * FD_CLOEXEC, and a child this daemon starts (a helper, a new worker) must not inherit the kernel's fds.
     */
    public static ListenFds fromEnvironment() {
        ListenFds fds = fromEnvironment(System.getenv(), ProcessHandle.current().pid());
        for (int fd = FIRST_FD; fd < FIRST_FD + fds.count; fd++) {
            try {
                Posix.setCloseOnExec(fd);
            } catch (ErrnoException e) {
                LOG.log(System.Logger.Level.WARNING, "passed fd " + fd + ": " + e.getMessage());
            }
        }
        return fds;
    }

    /**
     * The fds passed to process {@code pid} by {@code env}; none when {@code LISTEN_PID} names another process
     * (the variables were inherited from a parent that did not consume them).
     *
     * @throws IllegalArgumentException when the variables are set but malformed, with what to fix
     */
    public static ListenFds fromEnvironment(Map<String, String> env, long pid) {
        String fds = env.get(LISTEN_FDS);
        String forPid = env.get(LISTEN_PID);
        if (fds == null || fds.isEmpty() || forPid == null || forPid.isEmpty()) {
            return none();
        }
        if (parse(LISTEN_PID, forPid, Long.MAX_VALUE) != pid) {
            LOG.log(System.Logger.Level.DEBUG, "LISTEN_PID={0} is not us ({1}); ignoring LISTEN_FDS", forPid, pid);
            return none();
        }
        int count = (int) parse(LISTEN_FDS, fds, MAX_FDS);
        String[] names = namesOf(env.get(LISTEN_FDNAMES), count);
        Map<String, Deque<Integer>> byName = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            byName.computeIfAbsent(names[i], n -> new ArrayDeque<>()).addLast(FIRST_FD + i);
        }
        return new ListenFds(byName, count);
    }

    private static String[] namesOf(String fdNames, int count) {
        String[] names = new String[count];
        if (fdNames == null || fdNames.isEmpty()) {
            java.util.Arrays.fill(names, UNKNOWN_NAME);
            return names;
        }
        String[] given = fdNames.split(":", -1);
        if (given.length != count) {
            throw new IllegalArgumentException(LISTEN_FDNAMES + " has " + given.length + " names for "
                    + LISTEN_FDS + "=" + count + "; they must match (systemd sets both)");
        }
        for (int i = 0; i < count; i++) {
            names[i] = given[i].isEmpty() ? UNKNOWN_NAME : given[i];
        }
        return names;
    }

    private static long parse(String name, String value, long max) {
        try {
            long parsed = Long.parseLong(value);
            if (parsed >= 0 && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + "=" + value + " is not an integer in [0, " + max
                + "]; unset it or let systemd set it");
    }

    /** How many fds were passed in all. */
    public int count() {
        return count;
    }

    /** How many fds named {@code name} are left to take. */
    public int remaining(String name) {
        Deque<Integer> fds = byName.get(name);
        return fds == null ? 0 : fds.size();
    }

    /**
     * Takes the first fd stored under {@code name}; the caller owns it from now on (closes it, or stores it
     * again). Empty when none is left.
     */
    public OptionalInt take(String name) {
        Deque<Integer> fds = byName.get(name);
        if (fds == null || fds.isEmpty()) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(fds.removeFirst());
    }

    /** The fds nobody took, by name, for a warning at start (they stay open until the daemon exits). */
    public Map<String, Integer> untaken() {
        Map<String, Integer> left = new LinkedHashMap<>();
        byName.forEach((name, fds) -> {
            if (!fds.isEmpty()) {
                left.put(name, fds.size());
            }
        });
        return left;
    }
}
