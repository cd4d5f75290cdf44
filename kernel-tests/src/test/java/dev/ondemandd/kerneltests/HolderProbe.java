package dev.ondemandd.kerneltests;

import dev.ondemandd.daemon.systemd.ListenFds;
import dev.ondemandd.daemon.systemd.SystemdNotifier;
import dev.ondemandd.protocol.nativeio.NativeFile;
import dev.ondemandd.protocol.nativeio.Posix;
import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * A service for {@code fdstore-holder.py} built on the daemon's own sd_notify and LISTEN_FDS classes, as
 * {@code ondemandd run} uses them: the first run opens FILE, puts its fd into the store as {@value #NAME},
 * says READY=1 and fails (exit {@value #FIRST_RUN_STATUS}); the run the holder restarts takes that fd back
 * from LISTEN_FDS, appends through it, says READY=1 and exits 0.
 */
public final class HolderProbe {

    static final String NAME = "probe";
    static final int FIRST_RUN_STATUS = 3;
    static final String APPENDED = " + appended through the fd handed back";

    private HolderProbe() {
    }

    public static void main(String[] args) throws Exception {
        ListenFds fds = ListenFds.fromEnvironment();
        try (SystemdNotifier systemd = SystemdNotifier.fromEnvironment()) {
            OptionalInt held = fds.take(NAME);
            if (held.isPresent()) {
                try (FileOutputStream out = new FileOutputStream(
                        FileDescriptorCast.unsafeUsing(held.getAsInt()).getFileDescriptor())) {
                    out.write(APPENDED.getBytes(StandardCharsets.US_ASCII));
                }
                systemd.ready("took fd " + held.getAsInt() + " back of " + fds.count());
                System.out.println("took fd " + held.getAsInt() + " named " + NAME);
                return;
            }
            NativeFile file = NativeFile.open(args[0], Posix.O_WRONLY | Posix.O_APPEND);
            if (!systemd.storeFd(NAME, file.fd()) || !systemd.storeFd(NAME, file.fd())) {
                throw new IllegalStateException("FDSTORE failed: is NOTIFY_SOCKET set?");
            }
            systemd.ready("stored fd " + file.fd());
            System.out.println("stored fd " + file.fd() + " twice");
        }
        System.exit(FIRST_RUN_STATUS);
    }
}
