package dev.ondemandd.daemon.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.protocol.nativeio.Errno;
import dev.ondemandd.protocol.nativeio.ErrnoException;
import dev.ondemandd.protocol.nativeio.Posix;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** This test process's fds and its RLIMIT_NOFILE, for the tests that run it out of fds. */
public final class OpenFiles {

    private OpenFiles() {
    }

    /** Fds open now (the listing's own fd not counted). */
    public static int count() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.count() - 1;
        }
    }

    /** Fds whose link points under one of {@code dirs}: a leak shows as a count that does not come back. */
    public static int into(List<Path> dirs) throws IOException {
        int n = 0;
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    Path target = Files.readSymbolicLink(fd);
                    if (dirs.stream().anyMatch(target::startsWith)) {
                        n++;
                    }
                } catch (IOException closed) {
                    continue;
                }
            }
        }
        return n;
    }

    /**
     * {@link #into} once it holds still (the same count twice, 200 ms apart; 5 s at most), so that an fd the
     * daemon is about to close (an event's fd right after its answer) is not taken for one it keeps.
     */
    public static int settledInto(List<Path> dirs) throws IOException, InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int last = into(dirs);
        while (System.nanoTime() < until) {
            Thread.sleep(200);
            int now = into(dirs);
            if (now == last) {
                return now;
            }
            last = now;
        }
        return last;
    }

    /**
     * Opens fds on /dev/null into {@code taken} until this process has none left (EMFILE). A failed open first
     * loads the error path's classes: run from target/classes, a class loaded while no fd is left cannot be read
     * (NoClassDefFoundError; from the daemon's jar, which stays open, it could). Called again while every fd is
     * still taken, that open fails with EMFILE instead of ENOENT: the error path has run either way.
     */
    public static void takeEvery(List<Integer> taken) {
        try {
            Posix.open("/proc/self/ondemandd-no-such-file", Posix.O_RDONLY | Posix.O_CLOEXEC);
        } catch (ErrnoException expected) {
            assertThat(expected.errno()).isIn(Errno.ENOENT, Errno.EMFILE);
        }
        try {
            while (true) {
                taken.add(Posix.open("/dev/null", Posix.O_RDONLY | Posix.O_CLOEXEC));
            }
        } catch (ErrnoException e) {
            assertThat(e.errno()).isEqualTo(Errno.EMFILE);
        }
    }

    /** RLIMIT_NOFILE as prlimit takes it: {@code soft:hard}. */
    public static String limits() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String[] f = line.trim().split("\\s+");
                return f[3] + ":" + f[4];
            }
        }
        throw new IOException("no 'Max open files' in /proc/self/limits");
    }

    /** Sets this process's RLIMIT_NOFILE to {@code softAndHard} through prlimit(1) (the JDK has no call for it). */
    public static void limit(String softAndHard) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("prlimit", "--pid", Long.toString(ProcessHandle.current().pid()),
                "--nofile=" + softAndHard).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0).as("prlimit " + softAndHard + ": " + out)
                .isTrue();
    }
}
