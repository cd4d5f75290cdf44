package dev.ondemandd.protocol.fanotify;

import java.io.IOException;

/**
 * An event the decoder rejected. It still carries the event's fd where the bytes held one, so the receiver can
 * deny the event and close the fd: a malformed event must neither leak its fd nor leave a reader waiting.
 */
public final class MalformedEventException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int fd;
    private final boolean resumable;

    MalformedEventException(String message, int fd, boolean resumable) {
        super(message);
        this.fd = fd;
        this.resumable = resumable;
    }

    /** The event's fd to answer and close, or {@link Fanotify#FAN_NOFD} when it could not be read. */
    public int fd() {
        return fd;
    }

    /**
     * Whether the decoder could find the next event in the buffer. When false, the rest of the buffer was
     * dropped (its length fields cannot be trusted); the kernel never produces such a buffer.
     */
    public boolean resumable() {
        return resumable;
    }
}
