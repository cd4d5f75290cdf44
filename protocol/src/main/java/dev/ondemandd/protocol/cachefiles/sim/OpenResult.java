package dev.ondemandd.protocol.cachefiles.sim;

import java.time.Duration;

/** What a filesystem's lookup of a cookie got from the simulated kernel. */
public sealed interface OpenResult {

    /** The daemon answered {@code copen <id>,<size>}. */
    record Opened(SimObject object, long size) implements OpenResult {
    }

    /** The OPEN failed with {@code errno}: the daemon's {@code copen <id>,-errno}, or EIO when the cache died. */
    record Failed(int errno) implements OpenResult {
    }

    /** Nobody answered within the wait: in the kernel the mount would still be hanging. */
    record Hung(Duration waited) implements OpenResult {
    }
}
