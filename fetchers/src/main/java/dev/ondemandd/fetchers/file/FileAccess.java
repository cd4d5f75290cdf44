package dev.ondemandd.fetchers.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;

/**
 * How a {@link FileBlob} reaches the file system: open a handle, and read the attributes that pin a file's
 * identity. The one real implementation is {@link #SYSTEM}; unit tests substitute one that raises ESTALE the
 * way a file on an NFS mount does when the server no longer knows the handle.
 */
interface FileAccess {

    /** An open file read with positional reads. */
    interface Handle extends AutoCloseable {
        /** As {@link FileChannel#read(ByteBuffer, long)}: bytes read, or -1 at the end of the file. */
        int read(ByteBuffer dst, long position) throws IOException;

        @Override
        void close() throws IOException;
    }

    /**
     * What a blob pins at open: a file whose size, modification time or identity (device and inode, where the
     * file system has one) differs later is another file, and its bytes must not be mixed with the first's.
     */
    record Pin(long size, FileTime modified, Object fileKey) {
        static Pin of(BasicFileAttributes a) {
            return new Pin(a.size(), a.lastModifiedTime(), a.fileKey());
        }

        /** Why {@code now} is not the pinned file, or null when it is. */
        String differs(Pin now) {
            if (now.size != size) {
                return "size changed from " + size + " to " + now.size;
            }
            if (!now.modified.equals(modified)) {
                return "modified at " + now.modified + " after being pinned at " + modified;
            }
            if (!Objects.equals(now.fileKey, fileKey)) {
                return "replaced by another file";
            }
            return null;
        }
    }

    Handle open(Path path) throws IOException;

    Pin pin(Path path) throws IOException;

    /** The JDK's file system. */
    FileAccess SYSTEM = new FileAccess() {
        @Override
        public Handle open(Path path) throws IOException {
            FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
            return new Handle() {
                @Override
                public int read(ByteBuffer dst, long position) throws IOException {
                    return channel.read(dst, position);
                }

                @Override
                public void close() throws IOException {
                    channel.close();
                }
            };
        }

        @Override
        public Pin pin(Path path) throws IOException {
            return Pin.of(Files.readAttributes(path, BasicFileAttributes.class));
        }
    };

    /** strerror(ESTALE) on Linux: the JDK reports errno only through the message. */
    String STALE_MESSAGE = "Stale file handle";

    /**
     * Whether {@code e} is ESTALE: the NFS server no longer knows the file handle (the export was remounted or
     * the server restarted, or the file was replaced). Opening the path again gets a fresh handle.
     */
    static boolean isStale(IOException e) {
        String text = e instanceof FileSystemException fse ? fse.getReason() : e.getMessage();
        return text != null && text.contains(STALE_MESSAGE);
    }
}
