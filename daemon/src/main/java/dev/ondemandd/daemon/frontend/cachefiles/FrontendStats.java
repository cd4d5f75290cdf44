package dev.ondemandd.daemon.frontend.cachefiles;

import java.util.concurrent.atomic.LongAdder;

/** Counters of what the cachefiles frontend saw that the core never hears of. */
public final class FrontendStats {

    final LongAdder messages = new LongAdder();
    final LongAdder malformed = new LongAdder();
    final LongAdder unknownObject = new LongAdder();
    final LongAdder orphansCompleted = new LongAdder();
    final LongAdder completeErrors = new LongAdder();
    final LongAdder copenErrors = new LongAdder();

    /** Messages read from the device. */
    public long messages() {
        return messages.sum();
    }

    /** Messages the codec refused. */
    public long malformed() {
        return malformed.sum();
    }

    /** READs and CLOSEs for an object id this daemon does not know. */
    public long unknownObject() {
        return unknownObject.sum();
    }

    /** READs of an unknown object completed through an orphaned anonymous fd of this process (then closed). */
    public long orphansCompleted() {
        return orphansCompleted.sum();
    }

    /** READ_COMPLETE ioctls that failed. */
    public long completeErrors() {
        return completeErrors.sum();
    }

    /** copen commands the device refused. */
    public long copenErrors() {
        return copenErrors.sum();
    }
}
