package dev.ondemandd.protocol.nativeio;

import com.sun.jna.Native;

/**
 * write(2) without an exception for its failure: the failover probe answers every fd number up to the dead
 * worker's fd limit (a million under systemd) and nearly all of them fail with ENOENT, which must cost a system
 * call, not a Java exception. The errno is read with {@link Native#getLastError()}. Package-private:
 * {@link FanotifyGroup#answerIfPending} is the Java face.
 */
final class FailoverNative {
    static {
        Native.register(FailoverNative.class, "c");
    }

    private FailoverNative() {
    }

    /** ssize_t write(int fd, const void *buf, size_t count); -1 with errno on failure. */
    static native long write(int fd, long buf, long count);
}
