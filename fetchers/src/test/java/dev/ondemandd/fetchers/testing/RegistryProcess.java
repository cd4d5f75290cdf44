package dev.ondemandd.fetchers.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code docker-registry} (distribution 2.8) started on a free 127.0.0.1 port with filesystem storage.
 * Several may share one storage directory: content pushed through one is served by the others.
 */
public final class RegistryProcess implements AutoCloseable {

    public static final String BINARY = "/usr/bin/docker-registry";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

    private final Process process;
    private final int port;
    private final Path log;

    private RegistryProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts a registry.
     *
     * @param storage the filesystem storage root
     * @param work a directory for the config and log
     * @param extraConfig YAML appended to the config (an {@code auth:} or {@code middleware:} section)
     */
    public static RegistryProcess start(Path storage, Path work, String extraConfig) throws IOException,
            InterruptedException {
        Packages.require(BINARY, "docker-registry");
        int port = Packages.freePort();
        Files.createDirectories(work);
        Path config = work.resolve("config-" + port + ".yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: info
                  accesslog:
                    disabled: false
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:%d
                health:
                  storagedriver:
                    enabled: false
                %s
                """.formatted(storage, port, extraConfig));
        Path log = work.resolve("registry-" + port + ".log");
        Process p = new ProcessBuilder(BINARY, "serve", config.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        RegistryProcess r = new RegistryProcess(p, port, log);
        Children.killOnExit(p);
        r.awaitReady();
        return r;
    }

    private void awaitReady() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        try (HttpClient client = HttpClient.newHttpClient()) {
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IOException("docker-registry exited: " + Files.readString(log));
                }
                try {
                    int status = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/"))
                            .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                    if (status == 200 || status == 401) {
                        return;
                    }
                } catch (IOException e) {
                    // not listening yet
                }
                Thread.sleep(20);
            }
        }
        close();
        throw new IOException("docker-registry not ready within " + START_TIMEOUT + ": " + Files.readString(log));
    }

    public int port() {
        return port;
    }

    /** {@code host:port} as an OCI authority. */
    public String authority() {
        return "127.0.0.1:" + port;
    }

    public URI base() {
        return URI.create("http://" + authority());
    }

    /** The source URL of a repository on this registry. */
    public URI oci(String repository) {
        return URI.create("oci://" + authority() + "/" + repository);
    }

    /** How many access-log lines show {@code method} on a path containing {@code fragment}. */
    public long requests(String method, String fragment) throws IOException {
        return Files.readAllLines(log).stream().filter(l -> l.contains("\"" + method + " ") && l.contains(fragment))
                .count();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
