package dev.ondemandd.daemon.systemd;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the fd number this process has open on a file, through /proc/self/fd (no reflection, no native code). */
final class FdNumbers {
    private FdNumbers() {
    }

    static int of(Path file) throws IOException {
        Path target = file.toRealPath();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).equals(target)) {
                        return Integer.parseInt(fd.getFileName().toString());
                    }
                } catch (IOException e) {
                    // the directory stream's own fd vanishes while we list
                }
            }
        }
        throw new IOException("no fd open on " + file);
    }
}
