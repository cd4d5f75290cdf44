package dev.ondemandd.daemon.control;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ondemandd status}: asks the running daemon over its control socket and prints a table, or with
 * {@code --json} the daemon's answer as one JSON object. Exit codes: 0 answered; 1 the daemon answered with
 * an error; 3 no daemon reachable (as {@code systemctl status} uses 3 for "not running").
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show what the running daemon is doing (objects, queues, sources, kernel).")
public final class StatusCommand implements Callable<Integer> {

    /** Exit code when no daemon answers on the socket. */
    public static final int NOT_RUNNING = 3;

    @Spec
    CommandSpec spec;

    @Option(names = "--socket", paramLabel = "PATH", description = "Control socket (default: ${DEFAULT-VALUE}).")
    Path socket = ControlSettings.DEFAULT_SOCKET;

    @Option(names = "--json", description = "Print the daemon's answer as one JSON object, for scripts.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        JsonNode status;
        try (ControlClient client = ControlClient.connect(socket)) {
            status = client.call("status");
        } catch (ControlException e) {
            err.println("ondemandd status: the daemon answered: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("ondemandd status: " + e.getMessage());
            return NOT_RUNNING;
        }
        out.println(json ? status.toString() : table(status));
        out.flush();
        return 0;
    }

    /** The status as a few aligned lines a person reads. */
    static String table(JsonNode s) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "ondemandd %s  pid %d  up %s  frontend %s  kernel %s%s%n",
                s.path("version").asText(), s.path("pid").asLong(), duration(s.path("uptimeSeconds").asLong()),
                s.path("frontend").asText(), s.path("kernel").asText(),
                s.path("draining").asBoolean() ? "  DRAINING" : ""));
        b.append(String.format(Locale.ROOT, "objects   %d open, %d keys%n", s.path("objects").path("open").asLong(),
                s.path("objects").path("keys").asLong()));
        b.append(String.format(Locale.ROOT, "requests  %d queued, %d in flight%n",
                s.path("requests").path("queued").asLong(), s.path("requests").path("inflight").asLong()));
        for (JsonNode w : s.path("kernelWarnings")) {
            b.append("warning   ").append(w.asText()).append(System.lineSeparator());
        }
        JsonNode sources = s.path("sources");
        if (sources.size() > 0) {
            b.append(String.format(Locale.ROOT, "%n%-20s %10s %8s %12s %8s %9s %10s%n", "SOURCE", "READS", "FAILED",
                    "BYTES", "RETRIES", "OPEN-ERR", "MEAN-MS"));
            for (Iterator<Map.Entry<String, JsonNode>> it = sources.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = e.getValue();
                b.append(String.format(Locale.ROOT, "%-20s %10d %8d %12s %8d %9d %10.2f%n", e.getKey(),
                        v.path("reads").asLong(), v.path("readFailures").asLong(), bytes(v.path("bytes").asLong()),
                        v.path("retries").asLong(), v.path("openFailures").asLong(),
                        v.path("meanReadMillis").asDouble()));
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = s.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isObject() && !java.util.Set.of("objects", "requests", "sources").contains(e.getKey())) {
                b.append(String.format(Locale.ROOT, "%n%s%n", e.getKey()));
                e.getValue().fields().forEachRemaining(f -> b.append(String.format(Locale.ROOT, "  %-24s %s%n",
                        f.getKey(), f.getValue().isValueNode() ? f.getValue().asText() : f.getValue().toString())));
            }
        }
        return b.toString().stripTrailing();
    }

    static String duration(long seconds) {
        long d = seconds / 86_400;
        long h = seconds / 3600 % 24;
        long m = seconds / 60 % 60;
        long sec = seconds % 60;
        return d > 0 ? String.format(Locale.ROOT, "%dd%02dh%02dm", d, h, m)
                : String.format(Locale.ROOT, "%dh%02dm%02ds", h, m, sec);
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
