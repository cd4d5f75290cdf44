package dev.ondemandd.daemon.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.daemon.cli.Main;
import dev.ondemandd.protocol.nativeio.Mounts;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real {@code ondemandd supervise -- run --config …} in a child JVM of this test's class path, serving images
 * through fanotify: the supervisor holds the group, the worker it starts is what the tests kill.
 */
final class SupervisedDaemon implements AutoCloseable {
    private static final Pattern READY = Pattern.compile("worker pid (\\d+) is ready");
    private static final Pattern RECOVERY = Pattern.compile("failover: took the fanotify group back; (\\d+) pending"
            + " event\\(s\\) filled and allowed, (\\d+) denied EIO \\(fill failed\\), (\\d+) denied EIO \\(never"
            + " journaled\\)");

    private final Process supervisor;
    private final Path log;
    private final List<LazyImages.Image> images;

    private SupervisedDaemon(Process supervisor, Path log, List<LazyImages.Image> images) {
        this.supervisor = supervisor;
        this.log = log;
        this.images = images;
    }

    /** Starts the supervisor; each image's blob is fetched from {@code blobUrl} (its metadata from the file). */
    static SupervisedDaemon start(Path dir, List<LazyImages.Image> images, Function<LazyImages.Image, URI> blobUrl)
            throws IOException, InterruptedException {
        return start(dir, images, blobUrl, "");
    }

    /** As above, with more {@code "dispatcher"} keys ({@code "\"concurrency\": 2"}). */
    static SupervisedDaemon start(Path dir, List<LazyImages.Image> images, Function<LazyImages.Image, URI> blobUrl,
            String dispatcher) throws IOException, InterruptedException {
        StringBuilder json = new StringBuilder("{\"frontend\": \"fanotify\", \"cache\": {\"dir\": \"")
                .append(dir.resolve("cache")).append("\"}, \"sources\": [], \"control\": {\"socket\": \"")
                .append(dir.resolve("control.sock")).append("\"}, \"dispatcher\": {\"readDeadline\": \"120s\"")
                .append(dispatcher.isEmpty() ? "" : ", " + dispatcher).append("},")
                .append(" \"images\": [");
        for (LazyImages.Image image : images) {
            json.append(image.index() == 0 ? "" : ", ").append("{\"meta\": \"").append(image.meta().toUri())
                    .append("\", \"blobs\": [\"").append(blobUrl.apply(image)).append("\"], \"mountpoint\": \"")
                    .append(image.mountpoint()).append("\"}");
        }
        Path config = Files.writeString(dir.resolve("config.json"), json.append("]}").toString());
        Path log = dir.resolve("supervise.log");
        String java = ProcessHandle.current().info().command().orElseThrow();
        // C1 only and the serial collector: the workers (which inherit these flags) start with less CPU on a
        // loaded machine; the test measures failover, not throughput
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "supervise", "--restart-delay", "100ms",
                "--runtime-dir", Files.createDirectories(dir.resolve("run")).toString(), "--", "run", "--config",
                config.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        SupervisedDaemon daemon = new SupervisedDaemon(p, log, images);
        daemon.awaitReady(1);
        return daemon;
    }

    /** Waits for the {@code n}-th worker to say READY=1; returns its pid. */
    int awaitReady(int n) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            Matcher m = READY.matcher(Files.readString(log));
            int seen = 0;
            int pid = -1;
            while (m.find()) {
                seen++;
                pid = Integer.parseInt(m.group(1));
            }
            if (seen >= n) {
                return pid;
            }
            assertThat(supervisor.isAlive()).as("supervisor alive; its log:\n" + Files.readString(log)).isTrue();
            Thread.sleep(50);
        }
        throw new AssertionError("worker " + n + " never became ready; log:\n" + Files.readString(log));
    }

    /** The pid of the worker that said READY=1 last. */
    int workerPid() throws IOException {
        Matcher m = READY.matcher(Files.readString(log));
        int pid = -1;
        while (m.find()) {
            pid = Integer.parseInt(m.group(1));
        }
        return pid;
    }

    long supervisorPid() {
        return supervisor.pid();
    }

    /** Sums of every recovery line: {allowed, denied after a failed fill, denied for want of a journal entry}. */
    long[] recoveries() throws IOException {
        Matcher m = RECOVERY.matcher(Files.readString(log));
        long[] sums = new long[3];
        while (m.find()) {
            for (int i = 0; i < 3; i++) {
                sums[i] += Long.parseLong(m.group(i + 1));
            }
        }
        return sums;
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    /** SIGTERM, as systemd or an operator stops a process. */
    static void terminate(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
    }

    static void kill(long pid) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        h.ifPresent(ProcessHandle::destroyForcibly);
    }

    /** SIGTERM to the supervisor: the worker unmounts, the supervisor exits 0. */
    int stop() throws InterruptedException {
        supervisor.destroy();
        assertThat(supervisor.waitFor(120, TimeUnit.SECONDS)).as("supervisor stops").isTrue();
        return supervisor.exitValue();
    }

    /** Kills whatever is left and unmounts every image, so a failed test leaves no mount behind. */
    @Override
    public void close() throws IOException {
        if (supervisor.isAlive()) {
            supervisor.descendants().forEach(ProcessHandle::destroyForcibly);
            supervisor.destroyForcibly();
            try {
                supervisor.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<IOException> errors = new ArrayList<>();
        for (LazyImages.Image image : images) {
            try {
                if (Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + image.mountpoint() + " ")) {
                    Mounts.umount(image.mountpoint(), true);
                }
            } catch (IOException e) {
                errors.add(e);
            }
        }
        if (!errors.isEmpty()) {
            throw errors.get(0);
        }
    }
}
