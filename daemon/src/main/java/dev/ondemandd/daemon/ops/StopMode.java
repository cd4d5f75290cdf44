package dev.ondemandd.daemon.ops;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * How a serving daemon stops on SIGTERM/SIGINT. A plain stop ({@code systemctl restart}, a signal to the worker
 * under {@code ondemandd supervise}) must not fail readers when the kernel's fd outlives the process: the next
 * daemon takes it over and answers what this one left. Only when nothing keeps the fd — or the stop is meant to
 * end serving — is everything answered before exit, so the kernel is never left waiting.
 */
public enum StopMode {
    /** Answer every request (EIO for what is not fetched), close every object, release the kernel's fd. */
    FULL,
    /** Stop reading, let running fetches finish, answer nothing else: the fd holder's next daemon takes it all over. */
    HAND_OVER;

    /**
     * Names a file that exists once the fd holder is stopping itself ({@code ondemandd supervise} creates it before
     * it signals the worker): the holder then releases the fds, so nothing may be left for a successor.
     */
    public static final String HOLDER_STOPPING = "ONDEMANDD_HOLDER_STOPPING";

    /** The mode taken and why, for the one log line a stop writes. */
    public record Decision(StopMode mode, String why) {
        public boolean handOver() {
            return mode == HAND_OVER;
        }
    }

    /**
     * @param fdHeldElsewhere the kernel's fd is kept by a holder: it came back through LISTEN_FDS, or this daemon
     *     stored it with FDSTORE=1 (and did not remove it)
     * @param endServing why serving is meant to end, not to restart ({@code ondemandd drain}, the image was
     *     unmounted), null for a plain stop
     * @param holderStopping the holder is stopping too and will release the fd ({@link #holderStopping(Map)})
     */
    public static Decision decide(boolean fdHeldElsewhere, String endServing, boolean holderStopping) {
        if (!fdHeldElsewhere) {
            return new Decision(FULL, "no fd holder keeps the kernel's fd");
        }
        if (endServing != null) {
            return new Decision(FULL, endServing);
        }
        if (holderStopping) {
            return new Decision(FULL, "the fd holder is stopping too");
        }
        return new Decision(HAND_OVER, "the fd holder keeps the kernel's fd for the next daemon");
    }

    /** Whether the holder named in {@code env} ({@value #HOLDER_STOPPING}) has said it is stopping. */
    public static boolean holderStopping(Map<String, String> env) {
        String file = env.get(HOLDER_STOPPING);
        return file != null && !file.isBlank() && Files.exists(Path.of(file));
    }
}
