package dev.ondemandd.protocol.cachefiles;

import dev.ondemandd.protocol.nativeio.Errno;
import dev.ondemandd.protocol.nativeio.ErrnoException;
import dev.ondemandd.protocol.nativeio.NativeFile;
import dev.ondemandd.protocol.nativeio.Posix;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel's /dev/cachefiles. Opened O_RDWR|O_CLOEXEC; the kernel allows one open at a time (a second gets
 * EBUSY). Can also take over an fd a previous daemon left in systemd's fd store ({@link #fromFd}), which keeps the
 * cache bound across a restart; after that the daemon writes {@code restore} to get the requests still pending.
 *
 * <p>Commands need a direct buffer; one per thread is kept so writing a command does not allocate it again.
 */
public final class KernelCachefilesDevice implements CachefilesDevice {

    /** Where the cachefiles misc device lives. */
    public static final String DEVICE_PATH = "/dev/cachefiles";

    /** What /proc/self/fd links an anonymous fd of an OPEN to (anon_inode_getfile("[cachefiles]", …)). */
    static final String ANON_FD_LINK = "anon_inode:[cachefiles]";
    private static final Path PROC_SELF_FD = Path.of("/proc/self/fd");

    private static final ThreadLocal<ByteBuffer> COMMAND_BUFFER =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(CachefilesConstants.COMMAND_MAX_BYTES));

    private final NativeFile device;

    private KernelCachefilesDevice(NativeFile device) {
        this.device = device;
    }

    /** Opens {@link #DEVICE_PATH}. */
    public static KernelCachefilesDevice open() throws IOException {
        return open(DEVICE_PATH);
    }

    /** Opens the cachefiles device at {@code path}, explaining the errors an operator can fix. */
    public static KernelCachefilesDevice open(String path) throws IOException {
        try {
            return new KernelCachefilesDevice(NativeFile.open(path, Posix.O_RDWR));
        } catch (ErrnoException e) {
            throw switch (e.errno()) {
                case Errno.EBUSY -> new ErrnoException("another cachefiles daemon holds " + path
                        + " (stop cachefilesd or the other ondemandd; the kernel allows one open at a time)",
                        Errno.EBUSY);
                case Errno.ENOENT, Errno.ENODEV, Errno.ENXIO -> new ErrnoException(path + " is missing: load the"
                        + " cachefiles module (modprobe cachefiles) on a kernel built with CONFIG_CACHEFILES_ONDEMAND=y",
                        e.errno());
                case Errno.EPERM, Errno.EACCES -> new ErrnoException("opening " + path
                        + " needs CAP_SYS_ADMIN: run as root or grant the capability", e.errno());
                default -> e;
            };
        }
    }

    /** Takes ownership of an already open cachefiles device fd, e.g. one handed back by systemd's fd store. */
    public static KernelCachefilesDevice fromFd(int fd) throws IOException {
        return new KernelCachefilesDevice(NativeFile.adopt(fd, DEVICE_PATH));
    }

    /** Writes one command; the kernel answers a failed command with an errno, which is thrown. */
    @Override
    public void command(String command) throws IOException {
        byte[] bytes = command.getBytes(StandardCharsets.UTF_8);
        // Longer than a page minus one the kernel refuses (EOPNOTSUPP); let it say so rather than guess here.
        ByteBuffer b = bytes.length <= CachefilesConstants.COMMAND_MAX_BYTES
                ? COMMAND_BUFFER.get().clear() : ByteBuffer.allocateDirect(bytes.length);
        b.put(bytes).flip();
        int written;
        try {
            written = device.write(b);
        } catch (ErrnoException e) {
            throw new ErrnoException(CachefilesCommands.failure(command, e.errno()), e.errno());
        }
        if (written != bytes.length) {
            throw new IOException("cachefiles command '" + command + "' was cut after " + written + " bytes");
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (dst.remaining() < MSG_MAX_SIZE) {
            throw new IllegalArgumentException("read needs " + MSG_MAX_SIZE + " bytes of room, got " + dst.remaining());
        }
        return device.read(dst);
    }

    @Override
    public boolean awaitRequest(int timeoutMillis) throws IOException {
        int revents = device.poll(Posix.POLLIN, timeoutMillis);
        if ((revents & Posix.POLLNVAL) != 0) {
            throw new ErrnoException(DEVICE_PATH + " fd " + device.fd() + " is not open", Errno.EBADF);
        }
        return (revents & Posix.POLLIN) != 0;
    }

    @Override
    public ObjectFd adopt(int fd) throws IOException {
        return new KernelObjectFd(NativeFile.adopt(fd, "cachefiles anon fd"));
    }

    /** Scans /proc/self/fd for links to {@value #ANON_FD_LINK}. */
    @Override
    public List<Integer> anonymousFds() throws IOException {
        List<Integer> fds = new ArrayList<>();
        try (var entries = Files.newDirectoryStream(PROC_SELF_FD)) {
            for (Path entry : entries) {
                try {
                    if (ANON_FD_LINK.equals(Files.readSymbolicLink(entry).toString())) {
                        fds.add(Integer.parseInt(entry.getFileName().toString()));
                    }
                } catch (IOException | NumberFormatException e) {
                    continue; // closed meanwhile, or the directory stream's own fd
                }
            }
        }
        return fds;
    }

    @Override
    public int rawFd() {
        return device.fd();
    }

    /** Closes the device fd once; the kernel unbinds the cache when the anonymous fds are closed too. */
    @Override
    public void close() throws IOException {
        device.close();
    }

    /** An anonymous fd of the kernel: pwrite() for data, ioctl(READ_COMPLETE) to wake the reader. */
    private static final class KernelObjectFd implements ObjectFd {

        private final NativeFile file;

        KernelObjectFd(NativeFile file) {
            this.file = file;
        }

        @Override
        public int fd() {
            return file.fd();
        }

        @Override
        public void write(ByteBuffer src, long offset) throws IOException {
            try {
                file.pwriteFully(src, offset);
            } catch (ErrnoException e) {
                if (e.errno() == Errno.ENOBUFS) {
                    throw new ErrnoException("write to cachefiles object at " + offset
                            + " refused: the offset must be page aligned and the cache needs free space", Errno.ENOBUFS);
                }
                throw e;
            }
        }

        @Override
        public void readComplete(int msgId) throws IOException {
            file.ioctl(CachefilesConstants.IOC_READ_COMPLETE, msgId);
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }
}
