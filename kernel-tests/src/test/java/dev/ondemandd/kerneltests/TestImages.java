package dev.ondemandd.kerneltests;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.opentest4j.TestAbortedException;

/**
 * Runs the repository's {@code test-images/} scripts (kernel, initramfs and image builds, {@code vm-run}) as
 * child processes, each bounded by a timeout, logging everything they print to a file.
 *
 * <p>A script that exits with {@link #EXIT_UNAVAILABLE} says that what it needs cannot be had here (no root to
 * install qemu, no network for the kernel source); the test is then skipped with the script's own reason.
 */
final class TestImages {

    /** Exit status of a test-images script when its prerequisites cannot be had (automake's SKIP). */
    static final int EXIT_UNAVAILABLE = 77;

    /** erofs-utils from source (about a minute cold) plus the images. */
    static final Duration IMAGE_BUILD_TIMEOUT = Duration.ofMinutes(15);

    /** A cold kernel build on 2 busy cores. */
    static final Duration KERNEL_BUILD_TIMEOUT = Duration.ofMinutes(60);

    private final Path repository;

    private TestImages(Path repository) {
        this.repository = repository;
    }

    /** Finds the repository root upwards from the working directory (a module directory under Maven). */
    static TestImages locate() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isExecutable(dir.resolve("test-images/vm-run"))) {
                return new TestImages(dir);
            }
        }
        throw new IllegalStateException("test-images/vm-run not found above " + Path.of("").toAbsolutePath());
    }

    Path repository() {
        return repository;
    }

    Path script(String name) {
        return repository.resolve("test-images").resolve(name);
    }

    /** The shaded daemon jar; the reactor packages it before this module's tests run. */
    Path daemonJar() {
        Path jar = repository.resolve("daemon/target/ondemandd.jar");
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError(jar + " is missing: run these tests through the reactor (mvn verify), which"
                    + " packages the daemon first");
        }
        return jar;
    }

    /** Builds (or reuses) the make-images test images under {@code out}; returns their manifest.json. */
    Path makeImages(Path out, Path log) throws IOException, InterruptedException {
        return run(IMAGE_BUILD_TIMEOUT, log, Map.of(), line -> { }, false, script("make-images").toString(),
                out.toString()).printedPath();
    }

    /**
     * Builds (or reuses) what a VM test boots: the test kernel, the initramfs and the make-images test images
     * under {@code out/images}, logging each build under {@code out}; returns the images' manifest.json.
     */
    Path prepareVm(Path out, Map<String, String> env) throws IOException, InterruptedException {
        Result kernel = run(KERNEL_BUILD_TIMEOUT, out.resolve("build-kernel.log"), env, line -> { }, false,
                script("build-kernel").toString());
        run(IMAGE_BUILD_TIMEOUT, out.resolve("build-initramfs.log"), env, line -> { }, false,
                script("build-initramfs").toString());
        Path manifest = makeImages(out.resolve("images"), out.resolve("make-images.log"));
        System.out.printf("kernel %s (%.0f s), images %s%n", kernel.printedPath(), kernel.elapsed().toMillis() / 1000.0,
                manifest);
        return manifest;
    }

    /** Skips (never fails) where a VM cannot be had at all: not Linux on x86-64, or switched off on purpose. */
    static void assumeVmPossible() {
        assumeTrue(System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64"),
                "the VM tests need Linux on x86-64 (qemu-system-x86_64 and a bzImage built here)");
        String skip = System.getenv("ONDEMANDD_SKIP_VM");
        assumeTrue(skip == null || skip.isEmpty(), "ONDEMANDD_SKIP_VM is set: VM tests switched off");
    }

    /** What a script printed and how it ended. */
    record Result(int exitCode, List<String> lines, Duration elapsed, Path log) {

        /** The last lines, for failure messages. */
        String tail(int count) {
            return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
        }

        /** Stdout's last line: the scripts print the path they built there. */
        Path printedPath() {
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).startsWith("/")) {
                    return Path.of(lines.get(i).trim());
                }
            }
            throw new IllegalStateException("no path printed; log " + log + ":\n" + tail(20));
        }
    }

    /**
     * Runs a script with stdout and stderr merged, each line also handed to {@code echo}; kills it at the
     * timeout. Exit {@link #EXIT_UNAVAILABLE} aborts the test (skip); any other non-zero exit fails it unless
     * {@code mayFail}.
     */
    Result run(Duration timeout, Path log, Map<String, String> env, Consumer<String> echo, boolean mayFail,
            String... command) throws IOException, InterruptedException {
        Files.createDirectories(log.getParent());
        ProcessBuilder builder = new ProcessBuilder(command).directory(repository.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().putAll(env);
        long start = System.nanoTime();
        Process process = builder.start();
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread pump = Thread.ofPlatform().name("ondemandd-test-" + Path.of(command[0]).getFileName()).start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8)); PrintWriter out = new PrintWriter(Files.newBufferedWriter(log))) {
                for (String line; (line = in.readLine()) != null; ) {
                    lines.add(line);
                    out.println(line);
                    out.flush();
                    echo.accept(line);
                }
            } catch (IOException e) {
                lines.add("(output lost: " + e + ")");
            }
        });
        boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!finished) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor();
        }
        pump.join(TimeUnit.SECONDS.toMillis(10));
        Result result = new Result(finished ? process.exitValue() : -1, List.copyOf(lines),
                Duration.ofNanos(System.nanoTime() - start), log);
        if (!finished) {
            throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout + "; log " + log
                    + ":\n" + result.tail(30));
        }
        if (result.exitCode() == EXIT_UNAVAILABLE) {
            throw new TestAbortedException(String.join(" ", command) + " cannot run here: " + result.tail(3));
        }
        if (result.exitCode() != 0 && !mayFail) {
            throw new AssertionError(String.join(" ", command) + " exited with " + result.exitCode() + "; log " + log
                    + ":\n" + result.tail(30));
        }
        return result;
    }
}
