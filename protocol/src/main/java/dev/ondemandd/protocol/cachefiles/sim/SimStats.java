package dev.ondemandd.protocol.cachefiles.sim;

/**
 * Counters of the simulated kernel, for tests to assert on.
 *
 * @param opensSent OPEN requests queued (including re-opens)
 * @param readsSent READ requests queued
 * @param closesSent CLOSE requests queued
 * @param messagesRead messages the daemon read()
 * @param cacheHits reads served from filled ranges without a READ
 * @param readsOk READs completed with the range filled
 * @param readsEio READs that failed with EIO (hole left, or cache died)
 * @param readsHung reads that timed out waiting for READ_COMPLETE
 * @param fdsHandedOut anonymous fds handed to the daemon
 * @param fdsOpen anonymous fds the daemon has not closed yet
 * @param misalignedWrites writes refused with ENOBUFS for a non-page-aligned offset
 * @param unalignedDirectIo writes refused with EINVAL: length or buffer not aligned to the backing block size
 * @param writesPastObjectSize writes reaching past the object size (the kernel takes them; a daemon bug)
 * @param emsgsize reads refused with EMSGSIZE for a buffer too small
 * @param reopens OPENs re-sent because a READ came for an object whose fd the daemon had closed
 * @param outstanding requests queued or handed out and not yet answered
 */
public record SimStats(long opensSent, long readsSent, long closesSent, long messagesRead, long cacheHits, long readsOk,
        long readsEio, long readsHung, long fdsHandedOut, long fdsOpen, long misalignedWrites,
        long unalignedDirectIo, long writesPastObjectSize,
        long emsgsize, long reopens, int outstanding) {
}
