package dev.ondemandd.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ondemandd.daemon.frontend.fanotify.Mountinfo;
import dev.ondemandd.daemon.systemd.FakeSystemd;
import dev.ondemandd.daemon.systemd.SystemdNotifier;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unit's {@code ExecStop=ondemandd drain --unless-restarting %n}, against a real daemon ({@code ondemandd run},
 * fanotify frontend, natively) whose notify socket is a real AF_UNIX datagram socket standing in for systemd: it
 * stores its fds there (FDSTORE=1), as under the unit. While systemd restarts the unit nothing is drained (SIGTERM
 * hands over); on a stop the daemon drains, removes every fd it stored (FDSTOREREMOVE=1 per name) and exits 0.
 * No systemd runs as PID 1 on the test machines, so a script prints what {@code systemctl list-jobs} prints during
 * each job (systemd 252's format: id, unit, type, state).
 */
@Tag("root")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DrainUnlessRestartingTest {

    private static final String UNIT = "ondemandd.service";
    private static final Pattern NAME = Pattern.compile("(?m)^FDNAME=(.+)$");

    @TempDir
    Path dir;

    private Process daemon;

    @AfterEach
    void kill() throws Exception {
        if (daemon != null && daemon.isAlive()) {
            daemon.destroyForcibly();
            daemon.waitFor(30, TimeUnit.SECONDS);
            // a killed daemon leaves its image mounted; the temp dir cannot go otherwise
            new ProcessBuilder("umount", "-l", dir.resolve("mnt").toString()).start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private Path systemctl(String listJobs) throws IOException {
        Path script = dir.resolve("systemctl-" + Integer.toHexString(listJobs.hashCode()));
        Files.writeString(script, "#!/bin/sh\n[ \"$1\" = list-jobs ] || exit 64\nprintf '%s' '" + listJobs + "'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    private int drainUnlessRestarting(Path socket, Path systemctl) {
        return Main.execute("drain", "--socket", socket.toString(), "--unless-restarting", UNIT,
                "--systemctl", systemctl.toString());
    }

    @Test
    void aRestartLeavesTheDaemonServingAndAStopDrainsItAndEmptiesTheFdStore() throws Exception {
        SmallImage image = SmallImage.build(dir, 11);
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        Path socket = dir.resolve("control.sock");
        Path config = dir.resolve("config.json");
        Files.writeString(config, """
                {"frontend": "fanotify", "cache": {"dir": "%s"}, "control": {"socket": "%s"}, "sources": [],
                 "images": [{"meta": "%s", "blobs": ["%s"], "mountpoint": "%s"}]}
                """.formatted(dir.resolve("cache"), socket, image.meta().toUri(), image.blob().toUri(), mnt));
        try (FakeSystemd systemd = FakeSystemd.onPath()) {
            List<String> notes = new CopyOnWriteArrayList<>();
            Thread listener = Thread.ofPlatform().name("fake-systemd").daemon().start(() -> {
                while (true) {
                    try {
                        notes.add(systemd.receive().text());
                    } catch (SocketTimeoutException quiet) {
                        continue;
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            String java = ProcessHandle.current().info().command().orElseThrow();
            ProcessBuilder run = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                    System.getProperty("java.class.path"), Main.class.getName(), "run", "--config", config.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("daemon.log").toFile());
            run.environment().put(SystemdNotifier.NOTIFY_SOCKET, systemd.notifySocket());
            daemon = run.start();
            await().atMost(Duration.ofSeconds(120)).until(() -> said(notes, "READY=1") || !daemon.isAlive());
            assertThat(daemon.isAlive()).as(Files.readString(dir.resolve("daemon.log"))).isTrue();
            Set<String> stored = names(notes, "FDSTORE=1");
            assertThat(stored).as("fds the daemon stored").isNotEmpty();

            assertThat(drainUnlessRestarting(socket, systemctl("61 ondemandd.service restart running\n"
                    + "62 other.service start waiting\n"))).as("during a restart").isZero();
            assertThat(daemon.waitFor(2, TimeUnit.SECONDS)).as("still serving: SIGTERM is to hand over").isFalse();
            assertThat(names(notes, "FDSTOREREMOVE=1")).isEmpty();
            assertThat(Files.readString(mnt.resolve("sub/hello.txt"))).isEqualTo("hello\n");

            assertThat(drainUnlessRestarting(socket, systemctl("63 ondemandd.service stop running\n")))
                    .as("during a stop").isZero();
            assertThat(daemon.isAlive()).as("the drain waited for the daemon to exit").isFalse();
            assertThat(daemon.exitValue()).as(Files.readString(dir.resolve("daemon.log"))).isZero();
            assertThat(Mountinfo.isMountPoint(mnt)).as("drained: the image is unmounted").isFalse();
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(names(notes, "FDSTOREREMOVE=1"))
                    .as("every fd it stored is removed from the store").containsAll(stored));
            assertThat(said(notes, "STOPPING=1")).as("STOPPING=1").isTrue();

            assertThat(drainUnlessRestarting(socket, systemctl("")))
                    .as("ExecStop after the daemon is gone (a crash, or drained already): nothing to do").isZero();
            assertThat(Main.execute("drain", "--socket", socket.toString())).as("a plain drain: not running")
                    .isEqualTo(3);
            listener.interrupt();
        }
    }

    /** Whether a notification carried {@code line} (several go in one datagram). */
    private static boolean said(List<String> notes, String line) {
        return notes.stream().anyMatch(n -> n.lines().anyMatch(line::equals));
    }

    /** The FDNAME= of every notification that carries {@code verb}. */
    private static Set<String> names(List<String> notes, String verb) {
        Set<String> names = new TreeSet<>();
        for (String note : notes) {
            if (note.lines().anyMatch(verb::equals)) {
                Matcher m = NAME.matcher(note);
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        return names;
    }
}
