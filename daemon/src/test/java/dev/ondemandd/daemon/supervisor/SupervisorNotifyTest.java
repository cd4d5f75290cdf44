package dev.ondemandd.daemon.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.daemon.systemd.SystemdNotifier;
import java.net.DatagramPacket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * {@code supervise} as a notify service of its own: it relays the worker's READY/STATUS to its own service manager,
 * pings WATCHDOG=1 from its loop, says STOPPING=1 when stopped, and gives the worker a watchdog — a worker whose
 * serving loops stop pinging is killed and restarted, as systemd's WatchdogSec= does. The worker is a small python
 * process that speaks sd_notify; systemd is a datagram socket of the test's.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SupervisorNotifyTest {

    @TempDir
    Path dir;

    /** READY=1, five WATCHDOG=1 pings 0.1 s apart, then stuck: never pings again. Logs its watchdog variables. */
    private static final String STUCK_WORKER = """
            import os, socket, sys, time
            with open(sys.argv[1], "a") as log:
                log.write("%d %s %s\\n" % (os.getpid(), os.environ.get("WATCHDOG_USEC"), os.environ.get("WATCHDOG_PID")))
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.sendto(b"READY=1\\nSTATUS=serving nothing", os.environ["NOTIFY_SOCKET"])
            for _ in range(5):
                time.sleep(0.1)
                s.sendto(b"WATCHDOG=1", os.environ["NOTIFY_SOCKET"])
            time.sleep(600)
            """;

    @Test
    void aWorkerThatStopsPingingIsKilledAndRestartedWhileTheSupervisorTellsItsOwnManager() throws Exception {
        Path starts = dir.resolve("starts.log");
        Path systemdSocket = dir.resolve("systemd.sock");
        try (AFUNIXDatagramSocket systemd = AFUNIXDatagramSocket.newInstance()) {
            systemd.bind(AFUNIXSocketAddress.of(systemdSocket));
            systemd.setSoTimeout(100);
            SystemdNotifier upstream = SystemdNotifier.to(AFUNIXSocketAddress.of(systemdSocket), 2_000_000,
                    System::nanoTime);
            Supervisor supervisor = new Supervisor(new WorkerCommand("/bin/sh", List.of("python3", "-c", STUCK_WORKER,
                    starts.toString())), new Supervisor.Settings(Duration.ofMillis(100), Duration.ofSeconds(1), 0,
                            Duration.ofSeconds(20), dir.resolve("run"), null, Duration.ofSeconds(2)), upstream);
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return supervisor.run();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            List<String> received = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (workers(starts).size() < 3 && System.nanoTime() < deadline) {
                received.addAll(receive(systemd));
            }
            supervisor.requestStop();
            assertThat(run.get(60, TimeUnit.SECONDS)).isZero();
            received.addAll(receive(systemd));

            List<String> workers = workers(starts);
            assertThat(workers).as("each stuck worker was killed and a new one started").hasSizeGreaterThanOrEqualTo(3);
            for (String worker : workers) {
                String[] f = worker.split(" ");
                assertThat(f[1]).as("WATCHDOG_USEC").isEqualTo("2000000");
                assertThat(f[2]).as("WATCHDOG_PID is the worker's own pid").isEqualTo(f[0]);
            }
            assertThat(received.stream().filter(m -> m.contains("READY=1"))).as("READY=1 once, for the first worker")
                    .hasSize(1).allMatch(m -> m.contains("STATUS=worker pid " + workers.get(0).split(" ")[0]));
            assertThat(received).as("the supervisor's own loop pings its manager").contains("WATCHDOG=1");
            assertThat(received).anyMatch(m -> m.contains("missed its watchdog"));
            assertThat(received).anyMatch(m -> m.startsWith("STOPPING=1"));
        }
    }

    private static List<String> workers(Path log) throws Exception {
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    private static List<String> receive(AFUNIXDatagramSocket socket) throws Exception {
        List<String> got = new ArrayList<>();
        byte[] buf = new byte[4096];
        while (true) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
            } catch (SocketTimeoutException e) {
                return got;
            }
            got.add(new String(buf, 0, p.getLength(), StandardCharsets.UTF_8));
        }
    }
}
