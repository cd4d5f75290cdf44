package dev.ondemandd.fetchers.file;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;

/**
 * A local file (or a file on a mounted export) read with positional reads. Size, modification time and
 * identity are pinned at open ({@link FileAccess.Pin}); a file that changes under us fails reads with ESTALE
 * instead of handing out a mix of old and new bytes.
 *
 * <p>Two things make the handle go bad while the file is still the same file, and both are survived by
 * opening the path again — after checking it is still the pinned file:
 * <ul>
 * <li>A FileChannel closes itself when a thread blocked in it is interrupted (the core interrupts a fetch
 * whose READ passed its deadline). That must not break the blob for every other reader.
 * <li>On an NFS mount a read fails with ESTALE when the server no longer knows the file handle (it restarted
 * without stable handles, the export was re-exported). The path still names the file.
 * </ul>
 */
final class FileBlob implements Blob {

    /** Fresh handles one read may go through before giving up: a handle that goes stale at once is a loop. */
    static final int MAX_REOPENS_PER_READ = 3;

    private final Path path;
    private final FileAccess access;
    private final FileAccess.Pin pin;
    private final Object reopenLock = new Object();
    private volatile FileAccess.Handle handle;
    private volatile boolean closed;

    private FileBlob(Path path, FileAccess access, FileAccess.Handle handle, FileAccess.Pin pin) {
        this.path = path;
        this.access = access;
        this.handle = handle;
        this.pin = pin;
    }

    static FileBlob open(Path path, FileAccess access) throws IOException {
        FileFetcher.requireRegularFile(path);
        FileAccess.Handle handle = access.open(path);
        try {
            return new FileBlob(path, access, handle, access.pin(path));
        } catch (IOException | RuntimeException e) {
            handle.close();
            throw e;
        }
    }

    @Override
    public long size() {
        return pin.size();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        long size = pin.size();
        long length = dst.remaining();
        if (offset < 0 || offset > size || length > size - offset) {
            throw new FetchException("range " + offset + "+" + length + " outside " + describe() + " of size " + size,
                    FetchException.EINVAL, false);
        }
        int start = dst.position();
        long position = offset;
        int reopens = 0;
        while (dst.hasRemaining()) {
            int n;
            FileAccess.Handle current = handle;
            try {
                n = current.read(dst, position);
            } catch (ClosedByInterruptException e) {
                throw new FetchException("read of " + describe() + " interrupted", FetchException.EIO, true, e);
            } catch (ClosedChannelException e) {
                if (closed) {
                    throw new FetchException(describe() + " is closed", FetchException.EIO, false, e);
                }
                reopens = reopen(current, reopens, e);
                continue;
            } catch (IOException e) {
                if (!FileAccess.isStale(e)) {
                    throw e;
                }
                reopens = reopen(current, reopens, e);
                // Bytes read through the stale handle may predate a change the fresh one would show: read again.
                dst.position(start);
                position = offset;
                continue;
            }
            if (n < 0) {
                throw stale("shrank below its pinned size " + size);
            }
            position += n;
        }
    }

    /** Replaces {@code broken} with a fresh handle on the same, unchanged file. */
    private int reopen(FileAccess.Handle broken, int reopens, IOException why) throws IOException {
        if (reopens >= MAX_REOPENS_PER_READ) {
            throw new FetchException(describe() + ": still failing after " + reopens + " reopens: " + why.getMessage(),
                    FetchException.EIO, true, why);
        }
        synchronized (reopenLock) {
            if (closed) {
                throw new FetchException(describe() + " is closed", FetchException.EIO, false, why);
            }
            if (handle != broken) {
                return reopens + 1; // another reader already reopened it
            }
            FileAccess.Handle fresh;
            FileAccess.Pin now;
            try {
                fresh = access.open(path);
            } catch (IOException e) {
                throw new FetchException("cannot reopen " + describe() + ": " + e.getMessage(),
                        FileAccess.isStale(e) ? FetchException.ESTALE : FetchException.EIO, true, e);
            }
            try {
                now = access.pin(path);
            } catch (IOException | RuntimeException e) {
                fresh.close();
                throw new FetchException("cannot reopen " + describe() + ": " + e.getMessage(), FetchException.EIO,
                        true, e);
            }
            String change = pin.differs(now);
            if (change != null) {
                fresh.close();
                throw stale(change);
            }
            handle = fresh;
            try {
                broken.close();
            } catch (IOException ignored) {
                // the stale handle is gone either way; the fresh one serves
            }
            return reopens + 1;
        }
    }

    private FetchException stale(String change) {
        return new FetchException(describe() + " " + change + " while served; refused rather than mixed",
                FetchException.ESTALE, false);
    }

    @Override
    public String describe() {
        return "file:" + path;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        synchronized (reopenLock) {
            handle.close();
        }
    }
}
