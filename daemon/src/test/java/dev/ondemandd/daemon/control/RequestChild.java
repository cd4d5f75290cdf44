package dev.ondemandd.daemon.control;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Sends one request line to a control socket from a child process (as another uid) for
 * {@link PeerCredentialsTest}: {@code RequestChild SOCKET JSON}. Prints the result; exit 1 when the daemon
 * answered with an error (printed on stderr), 3 when it could not be reached.
 */
public final class RequestChild {
    private RequestChild() {
    }

    public static void main(String[] args) throws Exception {
        try (ControlClient client = ControlClient.connect(Path.of(args[0]))) {
            System.out.println(client.call((ObjectNode) ControlProtocol.JSON.readTree(args[1])));
        } catch (ControlException e) {
            System.err.println(e.getMessage());
            System.exit(1);
        } catch (IOException e) {
            System.err.println(e.getMessage());
            System.exit(3);
        }
    }
}
