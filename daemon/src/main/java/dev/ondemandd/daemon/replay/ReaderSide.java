package dev.ondemandd.daemon.replay;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The kernel's reader side as replay drives it: what a filesystem does when it opens a cache object and
 * reads it. The simulated kernel implements it; each call goes through the device to the daemon and back.
 */
public interface ReaderSide {

    /**
     * Opens the object {@code volume}/{@code cookie}, which sends an OPEN and waits for its {@code copen}.
     *
     * @throws OpenFailedException when the daemon answered {@code -errno}
     */
    ReaderObject open(String volume, byte[] cookie) throws IOException;

    /** An object the reader side has open. */
    interface ReaderObject {

        /** The size the daemon's {@code copen} announced. */
        long size();

        /**
         * Reads {@code dst.remaining()} bytes at {@code offset} as a filesystem would: holes are requested from
         * the daemon, and a hole still there after the READ is completed fails with EIO.
         */
        void read(long offset, ByteBuffer dst) throws IOException;

        /** Drops the object, which sends a CLOSE. */
        void close() throws IOException;
    }

    /** An OPEN the daemon answered with {@code copen <id>,-errno}. */
    final class OpenFailedException extends IOException {
        private static final long serialVersionUID = 1L;
        private final int errno;

        public OpenFailedException(int errno, String message) {
            super(message);
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }
}
