package dev.ondemandd.daemon.systemd;

import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;

import org.newsclub.net.unix.FileDescriptorCast;

/** Child process of {@link ListenFdsTest}: takes the fd named by its argument and appends through it. */
public final class ListenFdsChild {
    private ListenFdsChild() {
    }

    public static void main(String[] args) throws Exception {
        ListenFds fds = ListenFds.fromEnvironment();
        int fd = fds.take(args[0]).orElseThrow(() -> new IllegalStateException("no fd named " + args[0]));
        System.out.println("took fd " + fd);
        // /proc/self/fdinfo/N "flags:" is octal; O_CLOEXEC (02000000) there is FD_CLOEXEC
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/fdinfo/" + fd))) {
            if (line.startsWith("flags:")) {
                long flags = Long.parseLong(line.substring("flags:".length()).trim(), 8);
                System.out.println("close-on-exec " + ((flags & 02000000) != 0));
            }
        }
        try (FileOutputStream out = new FileOutputStream(FileDescriptorCast.unsafeUsing(fd).getFileDescriptor())) {
            out.write(" written by the restarted daemon".getBytes(StandardCharsets.US_ASCII));
        }
    }
}
