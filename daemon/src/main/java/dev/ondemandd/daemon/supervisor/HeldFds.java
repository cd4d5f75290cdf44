package dev.ondemandd.daemon.supervisor;

import dev.ondemandd.protocol.nativeio.Posix;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fds the supervisor keeps for its worker, by name, in the order they were stored — the fd store of
 * systemd's protocol. Handed to every worker it starts as LISTEN_FDS (fds 3…) with LISTEN_FDNAMES; the worker
 * gets duplicates, the supervisor keeps its own until FDSTOREREMOVE=1 or it exits.
 */
final class HeldFds {
    private static final System.Logger LOG = System.getLogger(HeldFds.class.getName());
    private final Map<String, List<Integer>> byName = new LinkedHashMap<>();

    synchronized void add(String name, int fd) {
        byName.computeIfAbsent(name, n -> new ArrayList<>()).add(fd);
    }

    /** Closes and forgets every fd stored under {@code name}; returns how many. */
    synchronized int remove(String name) {
        List<Integer> fds = byName.remove(name);
        if (fds == null) {
            return 0;
        }
        fds.forEach(HeldFds::close);
        return fds.size();
    }

    synchronized int count() {
        return byName.values().stream().mapToInt(List::size).sum();
    }

    synchronized boolean isEmpty() {
        return byName.isEmpty();
    }

    /** The fds in store order, as handed to a worker. */
    synchronized int[] fds() {
        return byName.values().stream().flatMap(List::stream).mapToInt(Integer::intValue).toArray();
    }

    /** LISTEN_FDNAMES: one name per fd, in the order of {@link #fds()}, colon-separated. */
    synchronized String names() {
        List<String> names = new ArrayList<>();
        byName.forEach((name, fds) -> fds.forEach(fd -> names.add(name)));
        return String.join(":", names);
    }

    synchronized void closeAll() {
        byName.values().forEach(fds -> fds.forEach(HeldFds::close));
        byName.clear();
    }

    private static void close(int fd) {
        try {
            Posix.close(fd);
        } catch (java.io.IOException e) {
            LOG.log(Level.WARNING, "closing held fd " + fd + ": " + e.getMessage());
        }
    }
}
