package dev.ondemandd.daemon.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.protocol.nativeio.Posix;
import dev.ondemandd.protocol.nativeio.Processes;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pieces of the supervisor: the notify protocol it reads, the fds it holds, its backoff, how it spawns. */
class SupervisorPartsTest {

    @Test
    void notifyMessagesAreReadAsSystemdReadsThem() {
        NotifyMessage m = NotifyMessage.parse("FDSTORE=1\nFDNAME=fanotify\nFDPOLL=0\n\ngarbage\nSTATUS=a=b");
        assertThat(m.fdStore()).isTrue();
        assertThat(m.fdName()).isEqualTo("fanotify");
        assertThat(m.status()).isEqualTo("a=b");
        assertThat(m.ready()).isFalse();
        assertThat(NotifyMessage.parse("FDSTORE=1").fdName()).isEqualTo("stored");
        assertThat(NotifyMessage.parse("READY=1\nSTATUS=serving").ready()).isTrue();
        assertThat(NotifyMessage.parse("FDSTOREREMOVE=1\nFDNAME=x").fdStoreRemove()).isTrue();
        assertThat(NotifyMessage.parse("READY=0").ready()).isFalse();
    }

    @Test
    void heldFdsAreHandedBackInStoreOrderWithOneNamePerFd() throws Exception {
        HeldFds held = new HeldFds();
        int[] a = Posix.pipe(0);
        int[] b = Posix.pipe(0);
        held.add("fanotify", a[0]);
        held.add("fb-x", a[1]);
        held.add("fanotify", b[0]);
        assertThat(held.fds()).containsExactly(a[0], b[0], a[1]);
        assertThat(held.names()).isEqualTo("fanotify:fanotify:fb-x");
        assertThat(held.remove("fanotify")).isEqualTo(2);
        assertThat(Posix.isOpen(a[0])).as("removed fds are closed").isFalse();
        assertThat(held.names()).isEqualTo("fb-x");
        held.closeAll();
        assertThat(held.isEmpty()).isTrue();
        assertThat(Posix.isOpen(a[1])).isFalse();
        Posix.close(b[1]);
    }

    @Test
    void aWorkerThatServedIsRestartedSoonAndACrashLoopBacksOff() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(5));
        assertThat(backoff.next(false)).isEqualTo(Duration.ofSeconds(1));
        assertThat(backoff.next(false)).isEqualTo(Duration.ofSeconds(2));
        assertThat(backoff.next(false)).isEqualTo(Duration.ofSeconds(4));
        assertThat(backoff.next(false)).isEqualTo(Duration.ofSeconds(5));
        assertThat(backoff.next(true)).isEqualTo(Duration.ofSeconds(1));
        assertThat(backoff.next(false)).isEqualTo(Duration.ofSeconds(1));
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theWorkerGetsItsOwnNotifySocketAndNoneOfOurSupervisorsVariables() {
        List<String> env = WorkerCommand.environment(Map.of("PATH", "/bin", "NOTIFY_SOCKET", "@systemd",
                "LISTEN_PID", "1", "LISTEN_FDS", "9", "WATCHDOG_USEC", "1", "ONDEMANDD_HOLDER_STOPPING", "/old"),
                "/run/x.notify", "/run/x.stopping", 2, "a:b", "500");
        assertThat(env).containsExactlyInAnyOrder("PATH=/bin", "NOTIFY_SOCKET=/run/x.notify", "LISTEN_FDS=2",
                "LISTEN_FDNAMES=a:b", "ONDEMANDD_WORKER_OOM_SCORE_ADJ=500", "ONDEMANDD_HOLDER_STOPPING=/run/x.stopping");
        assertThat(WorkerCommand.environment(Map.of(), "/s", "/t", 0, "", null))
                .containsExactly("NOTIFY_SOCKET=/s", "ONDEMANDD_HOLDER_STOPPING=/t");
    }

    /**
     * A real child through posix_spawn and the shim: the passed fd is fd 3, LISTEN_PID is the child's own pid
     * (which the parent could not know before it existed).
     */
    @Test
    void theSpawnedWorkerSeesItsFdsAtThreeAndListenPidAsItsOwnPid() throws Exception {
        int[] pipe = Posix.pipe(0);
        WorkerCommand cmd = new WorkerCommand("/bin/sh", List.of("/bin/sh", "-c",
                "echo \"$LISTEN_PID $$ $LISTEN_FDS $LISTEN_FDNAMES $(ls /proc/$$/fd | sort -n | tr '\\n' ,)\" >&3"));
        int pid;
        try {
            pid = Processes.spawn(cmd.shell(), cmd.argv(),
                    WorkerCommand.environment(Map.of("PATH", "/usr/bin:/bin"), "/dev/null", "/nonexistent", 1,
                            "out", null),
                    new int[] {pipe[1]});
        } finally {
            Posix.close(pipe[1]);
        }
        Processes.Exit exit = Processes.waitFor(pid);
        ByteBuffer buf = ByteBuffer.allocateDirect(256);
        while (Posix.read(pipe[0], buf) > 0) {
            continue;
        }
        Posix.close(pipe[0]);
        String[] out = StandardCharsets.UTF_8.decode(buf.flip()).toString().trim().split(" ");
        assertThat(exit.exited()).isTrue();
        assertThat(exit.code()).isZero();
        assertThat(out[0]).as("LISTEN_PID").isEqualTo(Integer.toString(pid)).isEqualTo(out[1]);
        assertThat(out[2]).isEqualTo("1");
        assertThat(out[3]).isEqualTo("out");
        assertThat(out[4]).as("fds of the child: stdio, then the passed fd at 3").startsWith("0,1,2,3,");
    }

    @Test
    void aKilledChildIsReportedWithItsSignal() throws Exception {
        int pid = Processes.spawn("/bin/sleep", List.of("sleep", "30"), List.of(), new int[0]);
        assertThat(Processes.signal(pid, Processes.SIGKILL)).isTrue();
        Processes.Exit exit = Processes.waitFor(pid);
        assertThat(exit.exited()).isFalse();
        assertThat(exit.signal()).isEqualTo(9);
        assertThat(exit).hasToString("signal 9");
        assertThat(Processes.signal(pid, Processes.SIGTERM)).as("reaped: gone").isFalse();
    }
}
