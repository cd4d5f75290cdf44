package dev.ondemandd.daemon.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.security.auth.module.UnixSystem;
import dev.ondemandd.daemon.core.CoreStats;
import dev.ondemandd.daemon.metrics.Metrics;
import dev.ondemandd.daemon.ops.KernelVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.newsclub.lib.junixsocket.common.NarMetadata;
import org.newsclub.net.unix.AFUNIXSocket;
import picocli.CommandLine;

/**
 * The peer-credential check against a real process of another uid: {@code ondemandd status} run as nobody
 * (setpriv) is refused unless nobody's uid is allowed. Needs root (to run as another uid and to read root's
 * socket as root); skips elsewhere.
 */
@Tag("root")
class PeerCredentialsTest {

    private static final long NOBODY = 65534;

    private static Path world;
    private static String classpath;

    @BeforeAll
    static void copyClasspathWhereNobodyCanReadIt() throws Exception {
        assumeTrue(new UnixSystem().getUid() == 0, "needs root to run a client as another uid");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
        world = Files.createTempDirectory("ondemandd-peer");
        Files.setPosixFilePermissions(world, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (Class<?> c : List.of(StatusCommand.class, StatusChild.class, RequestChild.class, CommandLine.class, AFUNIXSocket.class,
                NarMetadata.class, ObjectMapper.class, JsonParser.class, JsonAutoDetect.class)) {
            Path from = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path to = world.resolve("cp" + i++ + (Files.isDirectory(from) ? "" : ".jar"));
            copy(from, to);
            entries.add(to.toString());
        }
        classpath = String.join(File.pathSeparator, entries);
        // junixsocket unpacks its native library into java.io.tmpdir: one nobody may write to
        Path tmp = Files.createDirectory(world.resolve("tmp"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    private static void copy(Path from, Path to) throws IOException {
        if (!Files.isDirectory(from)) {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-r--r--"));
            return;
        }
        try (Stream<Path> tree = Files.walk(from)) {
            for (Path p : (Iterable<Path>) tree::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
                }
            }
        }
    }

    @AfterAll
    static void removeCopies() throws IOException {
        if (world != null) {
            try (Stream<Path> tree = Files.walk(world)) {
                tree.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private record Run(int exit, String out, String err) {
    }

    /** {@code ondemandd status --json} as nobody. */
    private static Run statusAsNobody(Path socket) throws Exception {
        return asNobody(StatusChild.class, "--socket", socket.toString(), "--json");
    }

    /** {@code main} of a class of this package run as nobody. */
    private static Run asNobody(Class<?> main, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = new ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY,
                "--clear-groups", "--", java, "--enable-native-access=ALL-UNNAMED",
                "-Djava.io.tmpdir=" + world.resolve("tmp"), "-cp", classpath, main.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private static ControlServer serve(Path socket, Set<Long> allowUids, Metrics metrics) throws IOException {
        DaemonStatus status = new DaemonStatus(Instant.now(), "fanotify", KernelVersion.parse("6.18.0"), List.of(),
                () -> new CoreStats(1, 1, 0, 0), metrics.daemon(), () -> false);
        return ControlServer.start(new ControlSettings(socket, allowUids, Set.of()), Map.of("status", status));
    }

    /** mount, umount, reload and drain that only record that they ran. */
    private static ControlServer recording(Path socket, Set<Long> allowUids, List<String> ran) throws IOException {
        ControlCommand record = request -> {
            ran.add(request.get("cmd").asText());
            return null;
        };
        return ControlServer.start(new ControlSettings(socket, allowUids, Set.of()),
                Map.of("mount", record, "umount", record, "reload", record, "drain", record));
    }

    @Test
    void anotherUidIsRefusedByItsPeerCredentials() throws Exception {
        Path socket = world.resolve("refused.sock");
        // the file mode lets anyone connect (another uid is allowed): only the credential check stands between
        try (Metrics metrics = Metrics.create(); ControlServer server = serve(socket, Set.of(12345L), metrics)) {
            Run run = statusAsNobody(socket);

            assertThat(run.exit()).as(run.err()).isEqualTo(1);
            assertThat(run.err()).contains("permission denied: uid 65534");
            assertThat(run.out()).isEmpty();
        }
    }

    @Test
    void anotherUidsMountUmountReloadAndDrainAreRefusedAndNeverRun() throws Exception {
        Path socket = world.resolve("commands.sock");
        List<String> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (ControlServer server = recording(socket, Set.of(12345L), ran)) {
            for (String request : List.of(
                    "{\"cmd\":\"mount\",\"meta\":\"file:///etc/shadow\",\"mountpoint\":\"/mnt\"}",
                    "{\"cmd\":\"umount\",\"mountpoint\":\"/\"}", "{\"cmd\":\"reload\"}", "{\"cmd\":\"drain\"}")) {
                Run run = asNobody(RequestChild.class, socket.toString(), request);

                assertThat(run.exit()).as(request + ": " + run.err()).isEqualTo(1);
                assertThat(run.err()).contains("permission denied: uid 65534");
            }
            assertThat(ran).as("no refused request ran").isEmpty();
        }
    }

    @Test
    void anAllowedUidMayDrainButOnlyRootMountsUnmountsAndReloads() throws Exception {
        Path socket = world.resolve("allowed-commands.sock");
        List<String> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (ControlServer server = recording(socket, Set.of(NOBODY), ran)) {
            for (String request : List.of(
                    "{\"cmd\":\"mount\",\"meta\":\"file:///etc/shadow\",\"mountpoint\":\"/mnt\"}",
                    "{\"cmd\":\"umount\",\"mountpoint\":\"/\"}", "{\"cmd\":\"reload\"}")) {
                Run run = asNobody(RequestChild.class, socket.toString(), request);

                assertThat(run.exit()).as(request + ": " + run.err()).isEqualTo(1);
                assertThat(run.err()).contains("only root may");
            }
            assertThat(asNobody(RequestChild.class, socket.toString(), "{\"cmd\":\"drain\"}").exit()).isZero();
            assertThat(ran).containsExactly("drain");
        }
    }

    @Test
    void anAllowedUidGetsTheStatus() throws Exception {
        Path socket = world.resolve("allowed.sock");
        try (Metrics metrics = Metrics.create(); ControlServer server = serve(socket, Set.of(NOBODY), metrics)) {
            Run run = statusAsNobody(socket);

            assertThat(run.exit()).as(run.err()).isZero();
            assertThat(new ObjectMapper().readTree(run.out()).path("frontend").asText()).isEqualTo("fanotify");
        }
    }

    @Test
    void theDefaultRootOnlySocketIsClosedToOthersByItsMode() throws Exception {
        Path socket = world.resolve("root-only.sock");
        try (Metrics metrics = Metrics.create(); ControlServer server = serve(socket, Set.of(), metrics)) {
            Run run = statusAsNobody(socket);

            assertThat(run.exit()).as(run.err()).isEqualTo(StatusCommand.NOT_RUNNING);
            assertThat(run.err()).containsIgnoringCase("permission denied");
        }
    }
}
