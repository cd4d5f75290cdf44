package dev.ondemandd.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ondemandd.daemon.control.ControlClient;
import dev.ondemandd.daemon.control.ControlException;
import dev.ondemandd.daemon.control.ControlSettings;
import dev.ondemandd.daemon.control.ImageMounter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How {@code mount} and {@code umount} find a running daemon: on the socket given, which must answer, or on the
 * default socket when a daemon listens there (otherwise they work without one).
 */
final class DaemonConnection {

    /** A command the daemon answered with an error; the message is the daemon's. */
    static final int DAEMON_REFUSED = 1;

    private DaemonConnection() {
    }

    /**
     * @param socket   the socket given on the command line, or null for the default one
     * @param required true when the command cannot work without a daemon
     * @return a connection, or null when no socket was given and none is needed and no daemon listens
     * @throws CliException when a daemon is needed (or its socket given) and cannot be reached
     */
    static ControlClient open(Path socket, boolean required) throws CliException {
        Path path = socket != null ? socket : ControlSettings.DEFAULT_SOCKET;
        if (socket == null && !required && !Files.exists(path)) {
            return null;
        }
        try {
            return ControlClient.connect(path);
        } catch (IOException e) {
            if (socket == null && !required) {
                return null; // a socket file left behind by a daemon that is gone
            }
            throw new CliException(ExitCode.CANNOT_SERVE, e.getMessage()
                    + (required ? " (--fsid and --domain-id need a running cachefiles daemon)" : ""), e);
        }
    }

    /** Sends {@code request}; the daemon's refusal becomes exit code {@value #DAEMON_REFUSED} with its reason. */
    static JsonNode call(ControlClient daemon, ObjectNode request, String what) throws CliException {
        try {
            return daemon.call(request);
        } catch (ControlException e) {
            throw new CliException(DAEMON_REFUSED, "the daemon refused the " + what + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new CliException(ExitCode.CANNOT_SERVE, "talking to the daemon: " + e.getMessage(), e);
        }
    }

    /** As {@link #call}; false (nothing done) when the daemon did not mount what {@code request} names. */
    static boolean callUnlessNotMountedThere(ControlClient daemon, ObjectNode request) throws CliException {
        try {
            daemon.call(request);
            return true;
        } catch (ControlException e) {
            if (e.getMessage().startsWith(ImageMounter.NOT_MOUNTED_HERE)) {
                return false;
            }
            throw new CliException(DAEMON_REFUSED, "the daemon refused the umount: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new CliException(ExitCode.CANNOT_SERVE, "talking to the daemon: " + e.getMessage(), e);
        }
    }
}
