package dev.ondemandd.daemon.replay;

import dev.ondemandd.protocol.cachefiles.sim.OpenResult;
import dev.ondemandd.protocol.cachefiles.sim.ReadResult;
import dev.ondemandd.protocol.cachefiles.sim.SimObject;
import dev.ondemandd.protocol.cachefiles.sim.SimulatedCachefilesKernel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;

/** The simulated kernel's filesystem side as a {@link ReaderSide}; a request that hangs is a failure. */
public final class SimulatedReaderSide implements ReaderSide {

    private final SimulatedCachefilesKernel kernel;
    private final Duration wait;

    /** @param wait how long an OPEN or READ may go unanswered before it counts as hung */
    public SimulatedReaderSide(SimulatedCachefilesKernel kernel, Duration wait) {
        this.kernel = kernel;
        this.wait = wait;
    }

    @Override
    public ReaderObject open(String volume, byte[] cookie) throws IOException {
        return switch (kernel.open(volume, cookie, wait)) {
            case OpenResult.Opened opened -> new Opened(opened.object(), opened.size());
            case OpenResult.Failed failed -> throw new OpenFailedException(failed.errno(), null);
            case OpenResult.Hung hung -> throw new IOException("no copen within " + hung.waited()
                    + ": the mount would hang");
        };
    }

    private final class Opened implements ReaderObject {
        private final SimObject object;
        private final long size;

        Opened(SimObject object, long size) {
            this.object = object;
            this.size = size;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            deliver(kernel.read(object, offset, dst.remaining(), wait), dst);
        }

        @Override
        public void close() {
            kernel.close(object);
        }
    }

    /**
     * Puts what the simulated kernel gave a reader into {@code dst}, or throws what the reader would see: EIO,
     * a hang, or fewer bytes than asked.
     */
    public static void deliver(ReadResult result, ByteBuffer dst) throws IOException {
        switch (result) {
            case ReadResult.Data data -> {
                if (data.bytes().length != dst.remaining()) {
                    throw new IOException("short read: " + data.bytes().length + " of " + dst.remaining()
                            + " bytes");
                }
                dst.put(data.bytes());
            }
            case ReadResult.Failed failed -> throw new IOException("read failed with errno " + failed.errno());
            case ReadResult.Hung hung -> throw new IOException("no READ_COMPLETE within " + hung.waited()
                    + ": the reader would hang");
        }
    }
}
