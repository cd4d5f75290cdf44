package dev.ondemandd.protocol.fanotify;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The answer to a permission event, written to the group's fd.
 *
 * <pre>
 * struct fanotify_response {
 *         __s32 fd;         // the event's fd
 *         __u32 response;   // FAN_ALLOW, FAN_DENY, or FAN_DENY_ERRNO(err) = FAN_DENY | err &lt;&lt; 24
 * };
 * </pre>
 */
public record FanotifyResponse(int fd, int response) {

    public FanotifyResponse {
        if (fd < 0) {
            throw new IllegalArgumentException("a response needs the event's fd, got " + fd);
        }
    }

    /** Let the access proceed. */
    public static FanotifyResponse allow(int fd) {
        return new FanotifyResponse(fd, Fanotify.FAN_ALLOW);
    }

    /** Fail the access with {@code errno} (EIO for a range that could not be filled). */
    public static FanotifyResponse deny(int fd, int errno) {
        return new FanotifyResponse(fd, Fanotify.denyErrno(errno));
    }

    /** Writes the 8-byte struct at {@code dst}'s position in native byte order, advancing it. */
    public void encode(ByteBuffer dst) {
        encode(dst, fd, response);
    }

    /** The allocation-free form of {@link #encode(ByteBuffer)}. */
    public static void encode(ByteBuffer dst, int fd, int response) {
        ByteOrder order = dst.order();
        dst.order(ByteOrder.nativeOrder()).putInt(fd).putInt(response).order(order);
    }
}
