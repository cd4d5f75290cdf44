package dev.ondemandd.daemon.control;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ondemandd reload}: asks the running daemon to read its configuration file again and replace its sources
 * ({@link ReloadCommand}). Exit codes as {@code status}: 0 reloaded; 1 the daemon refused (the file does not load
 * or its sources cannot work; the old sources stay); 3 no daemon reachable.
 */
@Command(name = "reload", mixinStandardHelpOptions = true,
        description = "Make the running daemon re-read its configuration's sources (objects already open keep theirs).")
public final class ReloadCli implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--socket", paramLabel = "PATH", description = "Control socket (default: ${DEFAULT-VALUE}).")
    Path socket = ControlSettings.DEFAULT_SOCKET;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        var request = ControlProtocol.request("reload");
        JsonNode result;
        try (ControlClient client = ControlClient.connect(socket)) {
            result = client.call(request);
        } catch (ControlException e) {
            err.println("ondemandd reload: the daemon answered: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("ondemandd reload: " + e.getMessage());
            return StatusCommand.NOT_RUNNING;
        }
        out.println("reloaded " + result.path("sources").asInt() + " source(s) from " + result.path("config").asText());
        out.flush();
        return 0;
    }
}
