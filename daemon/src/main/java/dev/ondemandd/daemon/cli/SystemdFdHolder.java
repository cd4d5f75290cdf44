package dev.ondemandd.daemon.cli;

import dev.ondemandd.daemon.frontend.fanotify.FdHolder;
import dev.ondemandd.daemon.systemd.ListenFds;
import dev.ondemandd.daemon.systemd.SystemdNotifier;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * The fd holder of the sd_notify protocol: FDSTORE=1 to store, LISTEN_FDS to take back, FDSTOREREMOVE=1 to drop —
 * systemd's fd store, or {@code ondemandd supervise}, which speaks the same protocol.
 */
final class SystemdFdHolder implements FdHolder {
    /** The runtime directory: systemd's RuntimeDirectory= when set, else /run/ondemandd. */
    static Path runtimeDir() {
        String dirs = System.getenv("RUNTIME_DIRECTORY");
        return dirs != null && !dirs.isBlank() ? Path.of(dirs.split(":")[0]) : Path.of("/run/ondemandd");
    }

    private final SystemdNotifier notifier;
    private final ListenFds fds;

    SystemdFdHolder(SystemdNotifier notifier, ListenFds fds) {
        this.notifier = notifier;
        this.fds = fds;
    }

    @Override
    public boolean enabled() {
        return notifier.enabled();
    }

    @Override
    public OptionalInt take(String name) {
        return fds.take(name);
    }

    @Override
    public boolean store(String name, int fd) {
        return notifier.storeFd(name, fd);
    }

    @Override
    public void stopping(String status) {
        notifier.stopping(status);
    }

    @Override
    public void remove(String name) {
        notifier.removeStoredFd(name);
    }
}
