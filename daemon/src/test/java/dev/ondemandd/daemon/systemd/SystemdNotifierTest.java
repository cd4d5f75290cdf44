package dev.ondemandd.daemon.systemd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemdNotifierTest {

    private static final long PID = ProcessHandle.current().pid();

    @Test
    void withoutNotifySocketEverythingIsANoOp() {
        SystemdNotifier notifier = SystemdNotifier.fromEnvironment(Map.of(), PID);

        assertThat(notifier.enabled()).isFalse();
        assertThat(notifier.ready("serving")).isFalse();
        assertThat(notifier.storeFd("device", 0)).isFalse();
        assertThat(notifier.watchdog().enabled()).isFalse();
    }

    @Test
    void sendsTheLifecycleInOrderToAPathSocket() throws IOException {
        try (FakeSystemd systemd = FakeSystemd.onPath();
             SystemdNotifier notifier = SystemdNotifier.fromEnvironment(systemd.environment(), PID)) {
            assertThat(notifier.ready("serving 2 images")).isTrue();
            assertThat(notifier.status("fetching from 3 sources")).isTrue();
            assertThat(notifier.watchdogPing()).isTrue();
            assertThat(notifier.extendTimeout(Duration.ofSeconds(30))).isTrue();
            assertThat(notifier.stopping("draining 4 requests")).isTrue();

            assertThat(systemd.receive().text()).isEqualTo("READY=1\nSTATUS=serving 2 images");
            assertThat(systemd.receive().text()).isEqualTo("STATUS=fetching from 3 sources");
            assertThat(systemd.receive().text()).isEqualTo("WATCHDOG=1");
            assertThat(systemd.receive().text()).isEqualTo("EXTEND_TIMEOUT_USEC=30000000");
            assertThat(systemd.receive().text()).isEqualTo("STOPPING=1\nSTATUS=draining 4 requests");
        }
    }

    @Test
    void reachesTheAbstractNamespaceThroughTheAtPrefix() throws IOException {
        try (FakeSystemd systemd = FakeSystemd.abstractNamespace();
             SystemdNotifier notifier = SystemdNotifier.fromEnvironment(systemd.environment(), PID)) {
            assertThat(systemd.notifySocket()).startsWith("@");

            notifier.ready("up");

            assertThat(systemd.receive().text()).isEqualTo("READY=1\nSTATUS=up");
        }
    }

    @Test
    void statusIsOneLineOfBoundedLength() throws IOException {
        try (FakeSystemd systemd = FakeSystemd.onPath();
             SystemdNotifier notifier = SystemdNotifier.fromEnvironment(systemd.environment(), PID)) {
            notifier.status("two\nlines\rREADY=1");
            notifier.status("x".repeat(10_000));

            assertThat(systemd.receive().text()).isEqualTo("STATUS=two lines READY=1");
            assertThat(systemd.receive().text()).hasSize("STATUS=".length() + SystemdNotifier.STATUS_MAX);
        }
    }

    @Test
    void storesAnFdThatIsUsableOnTheOtherSide(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("cache-object");
        try (FakeSystemd systemd = FakeSystemd.onPath();
             SystemdNotifier notifier = SystemdNotifier.fromEnvironment(systemd.environment(), PID);
             RandomAccessFile ours = new RandomAccessFile(file.toFile(), "rw")) {
            int fd = FdNumbers.of(file);

            assertThat(notifier.storeFd("cachefiles", fd)).isTrue();

            FakeSystemd.Notification stored = systemd.receive();
            assertThat(stored.text()).isEqualTo("FDSTORE=1\nFDNAME=cachefiles\nFDPOLL=0");
            assertThat(stored.fds()).hasSize(1);
            try (FileOutputStream theirs = new FileOutputStream(stored.fds()[0])) {
                theirs.write("written by the holder".getBytes(StandardCharsets.US_ASCII));
            }
            assertThat(Files.readString(file)).isEqualTo("written by the holder");
            // the holder got a duplicate: closing it left ours open
            ours.seek(0);
            assertThat(ours.readLine()).isEqualTo("written by the holder");
        }
    }

    @Test
    void removesStoredFdsByName() throws IOException {
        try (FakeSystemd systemd = FakeSystemd.onPath();
             SystemdNotifier notifier = SystemdNotifier.fromEnvironment(systemd.environment(), PID)) {
            notifier.removeStoredFd("fanotify");

            assertThat(systemd.receive().text()).isEqualTo("FDSTOREREMOVE=1\nFDNAME=fanotify");
        }
    }

    @Test
    void rejectsFdNamesSystemdWouldReject() {
        SystemdNotifier notifier = SystemdNotifier.disabled();

        assertThatThrownBy(() -> notifier.storeFd("a:b", 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> notifier.storeFd("", 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> notifier.storeFd("with space", 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> notifier.storeFd("x".repeat(256), 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> notifier.storeFd("device", -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aVanishedSystemdIsReportedNotThrown(@TempDir Path dir) {
        Map<String, String> env = Map.of(SystemdNotifier.NOTIFY_SOCKET, dir.resolve("gone").toString());
        try (SystemdNotifier notifier = SystemdNotifier.fromEnvironment(env, PID)) {
            assertThat(notifier.enabled()).isTrue();
            assertThat(notifier.ready("up")).isFalse();
            assertThat(notifier.status("still up")).isFalse();
        }
    }

    @Test
    void ignoresSocketNamesItCannotReach() {
        assertThat(SystemdNotifier.fromEnvironment(Map.of(SystemdNotifier.NOTIFY_SOCKET, "vsock:2:1234"), PID)
                .enabled()).isFalse();
        assertThat(SystemdNotifier.fromEnvironment(Map.of(SystemdNotifier.NOTIFY_SOCKET, "relative"), PID)
                .enabled()).isFalse();
    }

    @Test
    void watchdogFollowsWatchdogUsecOnlyForItsPid() throws IOException {
        try (FakeSystemd systemd = FakeSystemd.onPath()) {
            Map<String, String> ours = Map.of(SystemdNotifier.NOTIFY_SOCKET, systemd.notifySocket(),
                    Watchdog.WATCHDOG_USEC, "20000000", Watchdog.WATCHDOG_PID, Long.toString(PID));
            Map<String, String> childs = Map.of(SystemdNotifier.NOTIFY_SOCKET, systemd.notifySocket(),
                    Watchdog.WATCHDOG_USEC, "20000000", Watchdog.WATCHDOG_PID, Long.toString(PID + 1));
            Map<String, String> malformed = Map.of(SystemdNotifier.NOTIFY_SOCKET, systemd.notifySocket(),
                    Watchdog.WATCHDOG_USEC, "20s");

            assertThat(SystemdNotifier.fromEnvironment(ours, PID).watchdog().interval())
                    .isEqualTo(Duration.ofSeconds(20));
            assertThat(SystemdNotifier.fromEnvironment(childs, PID).watchdog().enabled()).isFalse();
            assertThatThrownBy(() -> SystemdNotifier.fromEnvironment(malformed, PID))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("WatchdogSec=");
        }
    }
}
