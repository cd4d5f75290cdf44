package dev.ondemandd.protocol.nativeio;

import com.sun.jna.LastErrorException;

/** Turns a failed libc call into an {@link ErrnoException} that names the call and the errno. */
final class NativeErrors {
    private NativeErrors() {
    }

    static ErrnoException of(String call, LastErrorException e) {
        return new ErrnoException(call, e.getErrorCode());
    }
}
