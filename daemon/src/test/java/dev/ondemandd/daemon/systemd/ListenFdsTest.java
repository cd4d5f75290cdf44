package dev.ondemandd.daemon.systemd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListenFdsTest {

    private static final long PID = 4242;

    private static Map<String, String> env(String pid, String fds, String names) {
        return names == null
                ? Map.of(ListenFds.LISTEN_PID, pid, ListenFds.LISTEN_FDS, fds)
                : Map.of(ListenFds.LISTEN_PID, pid, ListenFds.LISTEN_FDS, fds, ListenFds.LISTEN_FDNAMES, names);
    }

    @Test
    void namesFdsFromThreeInOrder() {
        ListenFds fds = ListenFds.fromEnvironment(env("4242", "3", "cachefiles:fanotify:cachefiles"), PID);

        assertThat(fds.count()).isEqualTo(3);
        assertThat(fds.remaining("cachefiles")).isEqualTo(2);
        assertThat(fds.take("cachefiles")).isEqualTo(OptionalInt.of(3));
        assertThat(fds.take("fanotify")).isEqualTo(OptionalInt.of(4));
        assertThat(fds.untaken()).containsExactly(Map.entry("cachefiles", 1));
        assertThat(fds.take("cachefiles")).isEqualTo(OptionalInt.of(5));
        assertThat(fds.take("cachefiles")).isEmpty();
        assertThat(fds.untaken()).isEmpty();
    }

    @Test
    void unnamedFdsAreUnknown() {
        ListenFds fds = ListenFds.fromEnvironment(env("4242", "2", null), PID);

        assertThat(fds.remaining(ListenFds.UNKNOWN_NAME)).isEqualTo(2);
        assertThat(fds.take("cachefiles")).isEmpty();
    }

    @Test
    void fdsMeantForAnotherProcessAreNotOurs() {
        assertThat(ListenFds.fromEnvironment(env("1", "2", "a:b"), PID).count()).isZero();
        assertThat(ListenFds.fromEnvironment(Map.of(ListenFds.LISTEN_FDS, "2"), PID).count()).isZero();
        assertThat(ListenFds.fromEnvironment(Map.of(), PID).count()).isZero();
    }

    @Test
    void malformedVariablesAreTypedErrorsThatSayWhatToDo() {
        assertThatThrownBy(() -> ListenFds.fromEnvironment(env("4242", "two", null), PID))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("LISTEN_FDS=two");
        assertThatThrownBy(() -> ListenFds.fromEnvironment(env("4242", "-1", null), PID))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ListenFds.fromEnvironment(env("4242", "100000", null), PID))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ListenFds.fromEnvironment(env("me", "1", null), PID))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("LISTEN_PID");
        assertThatThrownBy(() -> ListenFds.fromEnvironment(env("4242", "2", "only-one"), PID))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must match");
    }

    /**
     * A real process started the way systemd starts it after a restart: the stored fd at 3, LISTEN_PID its own
     * pid (bash's exec keeps the pid), without FD_CLOEXEC. It takes the fd by name, close-on-exec now, and writes
     * through it.
     */
    @Test
    void aRestartedProcessTakesItsFdByNameAndUsesIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("held");
        Files.writeString(file, "kept by the holder;");
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = List.of("bash", "-c",
                "exec 3>>\"$0\"; export LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=device;"
                        + " exec \"$1\" -cp \"$2\" " + ListenFdsChild.class.getName() + " device",
                file.toString(), java, System.getProperty("java.class.path"));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();

        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.exitValue()).as(output).isZero();
        assertThat(output).contains("took fd 3").as("passed without FD_CLOEXEC, taken with it (sd_listen_fds)")
                .contains("close-on-exec true");
        assertThat(Files.readString(file)).isEqualTo("kept by the holder; written by the restarted daemon");
    }

    @Test
    void inThisJvmNothingWasPassed() throws IOException {
        assertThat(ListenFds.fromEnvironment().count()).isZero();
    }
}
