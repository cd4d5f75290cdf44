package dev.ondemandd.daemon.frontend.fanotify;

import java.util.OptionalInt;

/**
 * Whatever keeps this worker's fds open after it dies — systemd's fd store, or {@code ondemandd supervise},
 * which speaks the same protocol — seen from the worker: fds it handed back at start, by name, and a place to
 * store new ones. A fanotify group whose last fd closes lets every pending read of a hole through to zeros, so
 * the group (and what recovery needs: the journal, each blob's writer) must outlive the serving process.
 */
public interface FdHolder {
    /** Whether stored fds outlive this process (false: nothing to store them in). */
    boolean enabled();

    /** Takes the first fd handed back under {@code name}; the caller owns it from now on. */
    OptionalInt take(String name);

    /** Hands a duplicate of {@code fd} to the holder under {@code name}; the caller keeps its own. */
    boolean store(String name, int fd);

    /** Drops every fd stored under {@code name} (serving stops on purpose). */
    void remove(String name);

    /** Tells the holder this process is stopping (STOPPING=1 with a status line); nothing without a holder. */
    default void stopping(String status) {
        // no holder to tell
    }

    /** No holder: nothing outlives the process. */
    static FdHolder none() {
        return new FdHolder() {
            @Override
            public boolean enabled() {
                return false;
            }

            @Override
            public OptionalInt take(String name) {
                return OptionalInt.empty();
            }

            @Override
            public boolean store(String name, int fd) {
                return false;
            }

            @Override
            public void remove(String name) {
                // nothing stored
            }
        };
    }
}
