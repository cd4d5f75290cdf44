package dev.ondemandd.protocol.cachefiles.sim;

import dev.ondemandd.protocol.nativeio.ErrnoException;
import dev.ondemandd.protocol.nativeio.NativeFile;
import dev.ondemandd.protocol.nativeio.PageAlignedBuffers;
import dev.ondemandd.protocol.nativeio.Posix;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * The sparse backing file of one cookie under the cache directory (cachefiles' {@code object->file}). What it
 * holds when opened is found the way cachefiles finds it, SEEK_DATA / SEEK_HOLE; from then on every write through
 * an anonymous fd is recorded in memory, so a read asks no syscall whether its range is filled (the real kernel's
 * check costs the reader, not the daemon, and a benchmark of the daemon must not pay it).
 */
final class CacheFile implements AutoCloseable {

    /** Reads up to this size borrow a pooled direct buffer: a benchmark's readers read millions of pages. */
    private static final int READ_BUFFER_SIZE = 64 << 10;
    private static final int READ_BUFFERS_KEPT = 256;
    private static final PageAlignedBuffers.Pool READ_BUFFERS = new PageAlignedBuffers.Pool(READ_BUFFER_SIZE,
            READ_BUFFERS_KEPT);

    private final Path path;
    private final NativeFile backing;
    private final FilledRanges filled = new FilledRanges();

    private CacheFile(Path path, NativeFile backing) throws ErrnoException {
        this.path = path;
        this.backing = backing;
        // What an earlier daemon (or simulation) filled stays filled.
        for (long data = backing.seekData(0); data >= 0; data = backing.seekData(data)) {
            long hole = backing.seekHole(data);
            if (hole <= data) {
                break;
            }
            filled.add(data, hole);
            data = hole;
        }
    }

    /** Opens (creating it sparse if new) the file for {@code volume}/{@code cookie} under {@code cacheDir}. */
    static CacheFile open(Path cacheDir, String volume, byte[] cookie) throws IOException {
        Path dir = cacheDir.resolve("I" + safeName(volume));
        Files.createDirectories(dir);
        Path path = dir.resolve("D" + HexFormat.of().formatHex(cookie));
        NativeFile backing = NativeFile.open(path.toString(), Posix.O_RDWR | Posix.O_CREAT);
        try {
            return new CacheFile(path, backing);
        } catch (ErrnoException e) {
            backing.close();
            throw e;
        }
    }

    // Volume keys are text the kernel got from a mount option: keep letters, digits and ",.-_", escape the rest.
    private static String safeName(String volume) {
        StringBuilder sb = new StringBuilder();
        for (byte b : volume.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || ",.-_".indexOf(c) >= 0) {
                sb.append(c);
            } else {
                sb.append('%').append(HexFormat.of().withUpperCase().toHexDigits(b));
            }
        }
        return sb.toString();
    }

    Path path() {
        return path;
    }

    /** A new write-only fd on the file, as the anonymous fd of one OPEN. */
    int openAnonFd() throws ErrnoException {
        return Posix.open(path.toString(), Posix.O_WRONLY | Posix.O_CLOEXEC);
    }

    /** Grows the file to {@code size} without allocating; never shrinks what a previous daemon filled. */
    void ensureSize(long size) throws ErrnoException {
        if (backing.size() < size) {
            backing.truncate(size);
        }
    }

    /** Whether every byte of {@code [offset, offset + length)} was written, not left a hole. */
    boolean filled(long offset, long length) {
        return filled.covers(offset, offset + Math.max(0, length));
    }

    /** {@code [offset, offset + length)} was written through an anonymous fd. */
    void written(long offset, long length) {
        filled.add(offset, offset + length);
    }

    /** The bytes of {@code [offset, offset + length)}. Safe without the kernel's lock (pread has no position). */
    byte[] read(long offset, int length) throws ErrnoException {
        boolean pooled = length <= READ_BUFFER_SIZE;
        ByteBuffer buf = pooled ? READ_BUFFERS.acquire() : ByteBuffer.allocateDirect(Math.max(length, 1));
        try {
            buf.limit(length);
            long at = offset;
            while (buf.hasRemaining()) {
                int n = backing.pread(buf, at);
                if (n == 0) {
                    break;
                }
                at += n;
            }
            byte[] out = new byte[buf.position()];
            buf.flip().get(out);
            return out;
        } finally {
            if (pooled) {
                READ_BUFFERS.release(buf);
            }
        }
    }

    @Override
    public void close() throws ErrnoException {
        backing.close();
    }
}
