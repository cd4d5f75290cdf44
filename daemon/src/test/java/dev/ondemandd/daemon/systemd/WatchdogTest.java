package dev.ondemandd.daemon.systemd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class WatchdogTest {

    private static final long INTERVAL_USEC = 10_000_000; // WatchdogSec=10

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private void advanceSeconds(long seconds) {
        now.addAndGet(TimeUnit.SECONDS.toNanos(seconds));
    }

    private SystemdNotifier notifierTo(FakeSystemd systemd) {
        return SystemdNotifier.to(SystemdNotifier.parseAddress(systemd.notifySocket()), INTERVAL_USEC, now::get);
    }

    @Test
    void pingsOnceHalfTheIntervalPassedAndEveryLoopCameRound() throws IOException {
        try (FakeSystemd systemd = FakeSystemd.onPath();
             SystemdNotifier notifier = notifierTo(systemd)) {
            Watchdog watchdog = notifier.watchdog();
            Watchdog.Loop device = watchdog.register("device");
            Watchdog.Loop fanotify = watchdog.register("fanotify");

            advanceSeconds(2);
            device.alive();
            assertThat(systemd.silentFor(100)).as("too early: less than half the interval passed").isTrue();

            advanceSeconds(4);
            device.alive();
            assertThat(watchdog.pings()).as("fanotify has not come round yet").isZero();
            fanotify.alive();
            assertThat(systemd.receive().text()).isEqualTo("WATCHDOG=1");
            assertThat(watchdog.pings()).isEqualTo(1);
        }
    }

    @Test
    void aStuckLoopWithholdsThePing() throws IOException {
        try (FakeSystemd systemd = FakeSystemd.onPath();
             SystemdNotifier notifier = notifierTo(systemd)) {
            Watchdog watchdog = notifier.watchdog();
            Watchdog.Loop device = watchdog.register("device");
            Watchdog.Loop stuck = watchdog.register("stuck");

            stuck.alive(); // came round once, before any ping period elapsed
            for (int i = 0; i < 20; i++) {
                advanceSeconds(1);
                device.alive();
                if (i == 6) {
                    stuck.alive(); // last sign of life: allows exactly one ping
                }
            }

            assertThat(systemd.receive().text()).isEqualTo("WATCHDOG=1");
            assertThat(systemd.silentFor(200)).as("no ping after the loop got stuck").isTrue();
            assertThat(watchdog.pings()).isEqualTo(1);

            stuck.close(); // the loop ended on purpose: it no longer counts
            advanceSeconds(5);
            device.alive();
            assertThat(systemd.receive().text()).isEqualTo("WATCHDOG=1");
        }
    }

    @Test
    void capsHowLongALoopMayBlock() {
        Watchdog watchdog = new Watchdog(INTERVAL_USEC, now::get, () -> true);

        assertThat(watchdog.interval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(watchdog.maxBlockMillis(60_000)).isEqualTo(2_500);
        assertThat(watchdog.maxBlockMillis(100)).isEqualTo(100);
        assertThat(Watchdog.disabled().maxBlockMillis(60_000)).isEqualTo(60_000);
    }

    @Test
    void aDisabledWatchdogNeverPings() {
        Watchdog.Loop loop = Watchdog.disabled().register("device");
        for (int i = 0; i < 3; i++) {
            advanceSeconds(100);
            loop.alive();
        }
        assertThat(Watchdog.disabled().pings()).isZero();
    }
}
