package dev.ondemandd.fetchers.file;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * A local file read with positional reads. The size is pinned at open; a file that shrinks under us fails
 * reads with ESTALE instead of handing out short data.
 *
 * <p>A FileChannel closes itself when a thread blocked in it is interrupted (the core interrupts a fetch
 * whose READ passed its deadline). That must not break the blob for every other reader, so a channel
 * closed that way is reopened on the next read.
 */
final class FileBlob implements Blob {

    private final Path path;
    private final long size;
    private final Object reopenLock = new Object();
    private volatile FileChannel channel;
    private volatile boolean closed;

    private FileBlob(Path path, FileChannel channel, long size) {
        this.path = path;
        this.channel = channel;
        this.size = size;
    }

    static FileBlob open(Path path) throws IOException {
        FileFetcher.requireRegularFile(path);
        FileChannel channel = FileFetcher.openChannel(path);
        try {
            return new FileBlob(path, channel, channel.size());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        long length = dst.remaining();
        if (offset < 0 || offset > size || length > size - offset) {
            throw new FetchException("range " + offset + "+" + length + " outside " + describe() + " of size " + size,
                    FetchException.EINVAL, false);
        }
        long position = offset;
        while (dst.hasRemaining()) {
            int n;
            FileChannel current = channel;
            try {
                n = current.read(dst, position);
            } catch (ClosedByInterruptException e) {
                throw new FetchException("read of " + describe() + " interrupted", FetchException.EIO, true, e);
            } catch (ClosedChannelException e) {
                if (closed) {
                    throw new FetchException(describe() + " is closed", FetchException.EIO, false, e);
                }
                reopen(current);
                continue;
            }
            if (n < 0) {
                throw new FetchException(describe() + " shrank below its pinned size " + size, FetchException.ESTALE,
                        false);
            }
            position += n;
        }
    }

    private void reopen(FileChannel broken) throws IOException {
        synchronized (reopenLock) {
            if (channel != broken || closed) {
                return;
            }
            FileChannel fresh = FileFetcher.openChannel(path);
            if (fresh.size() < size) {
                fresh.close();
                throw new FetchException(describe() + " shrank below its pinned size " + size, FetchException.ESTALE,
                        false);
            }
            channel = fresh;
        }
    }

    @Override
    public String describe() {
        return "file:" + path;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        synchronized (reopenLock) {
            channel.close();
        }
    }
}
