package dev.ondemandd.protocol.cachefiles.sim;

import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.COMMAND_MAX_BYTES;
import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.COOKIE_KEY_MAX_SIZE;
import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.MAX_ERRNO;
import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.OP_CLOSE;
import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.OP_OPEN;
import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.OP_READ;
import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.VOLUME_KEY_MAX_SIZE;

import dev.ondemandd.protocol.cachefiles.CachefilesCodec;
import dev.ondemandd.protocol.cachefiles.CachefilesCommands;
import dev.ondemandd.protocol.cachefiles.CachefilesDevice;
import dev.ondemandd.protocol.cachefiles.CachefilesMessage;
import dev.ondemandd.protocol.cachefiles.CloseMessage;
import dev.ondemandd.protocol.cachefiles.ObjectFd;
import dev.ondemandd.protocol.cachefiles.OpenMessage;
import dev.ondemandd.protocol.cachefiles.ReadMessage;
import dev.ondemandd.protocol.nativeio.Errno;
import dev.ondemandd.protocol.nativeio.ErrnoException;
import dev.ondemandd.protocol.nativeio.PageAlignedBuffers;
import dev.ondemandd.protocol.nativeio.Posix;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * A simulated /dev/cachefiles in on-demand mode that behaves as Linux 6.12's {@code fs/cachefiles/ondemand.c} and
 * {@code daemon.c} do, for tests and trace replay on machines whose kernel lacks CONFIG_CACHEFILES_ONDEMAND.
 *
 * <p>Daemon side ({@link CachefilesDevice}): commands are parsed as cachefiles_daemon_write() parses them
 * ({@code dir}, {@code tag}, {@code bind ondemand}, {@code copen}, {@code restore}); read() returns 0 before the
 * bind and when nothing is pending, fails with EMSGSIZE when the pending message does not fit, and hands out
 * requests cyclically from where the last read stopped, each once. msg_ids are the lowest free index (the
 * kernel's xarray); object_ids are allocated cyclically in [1, INT_MAX] on every OPEN read. Each OPEN hands over a
 * real fd, a new one each time, to the object's sparse cache file under the {@code dir}; {@link #adopt} wraps it.
 * Writes through it need a page-aligned offset (ENOBUFS otherwise, as __cachefiles_prepare_write says);
 * READ_COMPLETE takes only an outstanding READ of the fd's own object (EINVAL otherwise), as
 * cachefiles_ondemand_fd_ioctl does since Linux 6.10.
 *
 * <p>Filesystem side: {@link #open} sends an OPEN and waits for copen, {@link #read} returns filled ranges
 * without a request and otherwise sends a READ, waits for READ_COMPLETE and re-checks the range (a hole left
 * gives EIO), {@link #close(SimObject)} sends CLOSE and, once the daemon has it, fails the object's other requests
 * with EIO (cachefiles_ondemand_clean_object). A READ for an object whose fd the daemon closed makes the
 * next daemon read() send a fresh OPEN first (the kernel's re-open). Closing the device fails every outstanding
 * request with EIO. Waits have timeouts so a daemon that never answers shows up as {@code Hung}, not as a stuck
 * test.
 *
 * <p>The culling limits ({@code brun}, {@code bcull}, {@code bstop} and the f… ones) are parsed and ordered as the
 * kernel does; {@code inuse} and {@code cull} name a file in the writing thread's current directory and refuse
 * (EBUSY) one an object the filesystem holds uses. Not modelled: non-on-demand (cachefilesd) mode, refusing writes
 * below {@code bstop}.
 */
public final class SimulatedCachefilesKernel implements CachefilesDevice {

    private static final String DEVICE = "simulated /dev/cachefiles";

    /** The logical block size of a typical backing device; direct I/O lengths and buffers must be multiples. */
    public static final int DEFAULT_BACKING_BLOCK_SIZE = 512;

    private final int backingBlockSize;
    /** What a request's wait completes with when its deadline passed: no errno is this negative. */
    private static final int HUNG = Integer.MIN_VALUE;
    /** How late a hang may be reported: the watchdog's period. */
    private static final long WATCHDOG_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /** The longest wait honoured (a longer timeout would overflow the deadline). */
    private static final long MAX_WAIT_NANOS = TimeUnit.DAYS.toNanos(365);
    /** Sweeps timed waits while any are outstanding; null otherwise. Under the lock. */
    private Thread watchdog;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    // struct cachefiles_cache
    private String rootDir;
    private String tag;
    private Path cacheDir;
    private boolean bound;
    private volatile boolean closed;
    /** brun/bcull/bstop and frun/fcull/fstop in percent; the kernel's defaults (cachefiles_daemon_open). */
    private final int[] blockLimits = {7, 5, 1};
    private final int[] fileLimits = {7, 5, 1};
    private final TreeMap<Integer, Req> reqs = new TreeMap<>();
    /** The requests of {@link #reqs} marked new (not read yet): what read() and poll() search. */
    private final TreeMap<Integer, Req> fresh = new TreeMap<>();
    /** The msg_ids of {@link #reqs}, for finding the lowest free one. */
    private final BitSet usedIds = new BitSet();
    /** Objects select() found closed and re-opens; reused under the lock. */
    private final List<SimObject> reopen = new ArrayList<>();
    private int reqIdNext;
    private int objectIdNext = 1;
    private final Map<Integer, SimObject> objectIds = new HashMap<>();
    private final Map<Integer, AnonFd> anonFds = new HashMap<>();
    private final Map<String, CacheFile> files = new HashMap<>();
    /** Objects the filesystem holds (looked up and not withdrawn): their cache files are in use. */
    private final java.util.Set<SimObject> live = new java.util.HashSet<>();
    private long culled;

    private long opensSent;
    private long readsSent;
    private long closesSent;
    private long messagesRead;
    // Counted by readers without the lock (LongAdder: many readers at once).
    private final LongAdder cacheHits = new LongAdder();
    private final LongAdder readsOk = new LongAdder();
    private final LongAdder readsEio = new LongAdder();
    private final LongAdder readsHung = new LongAdder();
    private long fdsHandedOut;
    private long misalignedWrites;
    private long unalignedDirectIo;
    private long writesPastObjectSize;
    private long emsgsize;
    private long reopens;

    /** A kernel whose cache directory sits on a device with 512-byte logical blocks. */
    public SimulatedCachefilesKernel() {
        this(DEFAULT_BACKING_BLOCK_SIZE);
    }

    /** @param backingBlockSize the backing device's logical block size (a power of two; 4096 for 4Kn disks) */
    public SimulatedCachefilesKernel(int backingBlockSize) {
        if (Integer.bitCount(backingBlockSize) != 1 || backingBlockSize < 512 || backingBlockSize > 65536) {
            throw new IllegalArgumentException("backing block size " + backingBlockSize);
        }
        this.backingBlockSize = backingBlockSize;
    }

    /** One queued request (struct cachefiles_req). {@code done} completes with 0 or -errno. */
    private static final class Req {
        final int opcode;
        final SimObject object; // null for injected raw messages and READs for unknown objects
        final long offset;
        final long length;
        final int foreignObjectId;
        final byte[] raw;
        final CompletableFuture<Integer> done = new CompletableFuture<>();
        /** When a waiting reader stops waiting ({@link System#nanoTime()}); 0: nobody waits with a timeout. */
        long deadline;
        int msgId;
        boolean isNew = true;

        Req(int opcode, SimObject object, long offset, long length, int foreignObjectId, byte[] raw) {
            this.opcode = opcode;
            this.object = object;
            this.offset = offset;
            this.length = length;
            this.foreignObjectId = foreignObjectId;
            this.raw = raw;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Daemon side

    @Override
    public void command(String command) throws IOException {
        byte[] data = command.getBytes(StandardCharsets.UTF_8);
        lock.lock();
        try {
            if (closed) {
                throw new ErrnoException("write", DEVICE, Errno.EBADF);
            }
            if (data.length > COMMAND_MAX_BYTES) {
                throw commandError(command, Errno.EOPNOTSUPP);
            }
            int end = data.length;
            for (int i = 0; i < data.length; i++) {
                if (data[i] == 0) {
                    throw commandError(command, Errno.EINVAL);
                }
            }
            for (int i = 0; i < data.length; i++) {
                if (data[i] == '\n') {
                    if (i == 0) {
                        throw commandError(command, Errno.EINVAL);
                    }
                    end = i;
                    break;
                }
            }
            String line = new String(data, 0, end, StandardCharsets.UTF_8);
            int space = 0;
            while (space < line.length() && !isSpace(line.charAt(space))) {
                space++;
            }
            if (space == 0) {
                throw commandError(command, Errno.EOPNOTSUPP);
            }
            String name = line.substring(0, space);
            int argStart = space;
            while (argStart < line.length() && isSpace(line.charAt(argStart))) {
                argStart++;
            }
            String args = line.substring(argStart);
            int error = run(name, args);
            if (error != 0) {
                throw commandError(command, error);
            }
        } finally {
            lock.unlock();
        }
    }

    private static boolean isSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    private static ErrnoException commandError(String command, int errno) {
        return new ErrnoException(CachefilesCommands.failure(command, errno), errno);
    }

    /** Runs one command under the lock; returns 0 or the errno the kernel's write() would fail with. */
    private int run(String name, String args) throws IOException {
        switch (name) {
            case "dir" -> {
                if (args.isEmpty()) {
                    return Errno.EINVAL;
                }
                if (rootDir != null) {
                    return Errno.EEXIST;
                }
                rootDir = args;
                return 0;
            }
            case "tag" -> {
                if (args.isEmpty()) {
                    return Errno.EINVAL;
                }
                if (tag != null) {
                    return Errno.EEXIST;
                }
                tag = args;
                return 0;
            }
            case "bind" -> {
                return bind(args);
            }
            case "copen" -> {
                return bound ? copen(args) : Errno.EOPNOTSUPP;
            }
            case "restore" -> {
                if (!bound) {
                    return Errno.EOPNOTSUPP;
                }
                for (Req r : reqs.values()) {
                    r.isNew = true;
                    fresh.put(r.msgId, r);
                }
                changed.signalAll();
                return 0;
            }
            case "brun", "bcull", "bstop", "frun", "fcull", "fstop" -> {
                return cullLimit(name, args);
            }
            case "cull", "inuse" -> {
                return cullOrInuse(name.equals("cull"), args);
            }
            // Known to the kernel, not modelled here: accepted so a daemon's setup does not fail on them.
            case "debug", "secctx" -> {
                return 0;
            }
            default -> {
                return Errno.EOPNOTSUPP;
            }
        }
    }

    /**
     * cachefiles_daemon_{b,f}{run,cull,stop}(): {@code <N>%} (simple_strtoul, then exactly "%"), kept ordered
     * against the limits already set (stop &lt; cull &lt; run &lt; 100), EINVAL otherwise.
     */
    private int cullLimit(String name, String args) {
        if (args.isEmpty()) {
            return Errno.EINVAL;
        }
        int digits = 0;
        long value = 0;
        while (digits < args.length() && Character.isDigit(args.charAt(digits))) {
            value = Math.min(value * 10 + (args.charAt(digits) - '0'), Integer.MAX_VALUE);
            digits++;
        }
        if (!args.substring(digits).equals("%")) {
            return Errno.EINVAL;
        }
        int[] limits = name.charAt(0) == 'b' ? blockLimits : fileLimits;
        int which = name.endsWith("run") ? 0 : name.endsWith("cull") ? 1 : 2;
        boolean ordered = switch (which) {
            case 0 -> value > limits[1] && value < 100;
            case 1 -> value > limits[2] && value < limits[0];
            default -> value < limits[1];
        };
        if (!ordered) {
            return Errno.EINVAL;
        }
        limits[which] = (int) value;
        return 0;
    }

    /**
     * cachefiles_daemon_cull() / _inuse(): {@code <name>} of a file in the writing thread's current directory (no
     * '/'; the cache must be bound). EBUSY while an object the filesystem holds uses it (the kernel's in-use mark);
     * otherwise {@code inuse} answers 0 and {@code cull} deletes it. ENOENT when there is no such file.
     */
    private int cullOrInuse(boolean cull, String name) throws IOException {
        if (name.isEmpty() || name.indexOf('/') >= 0) {
            return Errno.EINVAL;
        }
        if (!bound) {
            return Errno.EIO;
        }
        Path cwd;
        try {
            cwd = Files.readSymbolicLink(Path.of("/proc/thread-self/cwd"));
        } catch (IOException e) {
            return Errno.EIO;
        }
        if (!cwd.startsWith(cacheDir)) {
            return Errno.EINVAL; // not inside the cache: cachefiles_lookup_for_cull finds nothing of its own
        }
        Path file = cwd.resolve(name);
        if (!Files.isRegularFile(file)) {
            return Errno.ENOENT;
        }
        for (SimObject o : live) {
            if (o.file != null && o.file.path().equals(file)) {
                return Errno.EBUSY;
            }
        }
        if (cull) {
            files.values().removeIf(f -> {
                if (!f.path().equals(file)) {
                    return false;
                }
                try {
                    f.close();
                } catch (ErrnoException e) {
                    return true;
                }
                return true;
            });
            Files.delete(file);
            culled++;
        }
        return 0;
    }

    /** Files {@code cull} deleted. */
    public long culled() {
        return locked(() -> culled);
    }

    /** The culling limits set, in percent: block run, cull, stop. */
    public int[] blockLimits() {
        return locked(() -> blockLimits.clone());
    }

    private int bind(String args) throws IOException {
        if (rootDir == null) {
            return Errno.EINVAL;
        }
        if (bound) {
            return Errno.EBUSY;
        }
        for (int[] limits : List.of(blockLimits, fileLimits)) {
            if (limits[2] >= limits[1] || limits[1] >= limits[0] || limits[0] >= 100) {
                return Errno.ERANGE;
            }
        }
        if (args.isEmpty()) {
            return Errno.EOPNOTSUPP; // a plain cachefilesd cache: not what this simulation models
        }
        if (!args.equals("ondemand")) {
            return Errno.EINVAL;
        }
        Path root = Path.of(rootDir);
        if (!Files.exists(root)) {
            return Errno.ENOENT;
        }
        if (!Files.isDirectory(root)) {
            return Errno.ENOTDIR;
        }
        if (tag == null) {
            tag = "CacheFiles";
        }
        cacheDir = Files.createDirectories(root.resolve("cache"));
        bound = true;
        changed.signalAll();
        return 0;
    }

    /** cachefiles_ondemand_copen(): {@code <id>,<size or -errno>}. */
    private int copen(String args) throws IOException {
        if (args.isEmpty()) {
            return Errno.EINVAL;
        }
        int comma = args.indexOf(',');
        if (comma < 0) {
            return Errno.EINVAL;
        }
        long id;
        try {
            id = KernelNumbers.kstrtoul(args.substring(0, comma));
        } catch (KernelNumbers.ParseError e) {
            return e.errno;
        }
        Req req = id >= 0 && id <= Integer.MAX_VALUE ? removeReq((int) id) : null;
        if (req == null) {
            return Errno.EINVAL;
        }
        long size;
        try {
            size = KernelNumbers.kstrtol(args.substring(comma + 1));
        } catch (KernelNumbers.ParseError e) {
            failOpen(req, e.errno);
            return e.errno;
        }
        if (size < 0) {
            if (size < -MAX_ERRNO) {
                failOpen(req, Errno.EINVAL);
                return Errno.EINVAL;
            }
            failOpen(req, (int) -size);
            return 0;
        }
        if (req.object != null) {
            req.object.size = size;
            req.object.file.ensureSize(size);
            if (req.object.state != SimObject.State.WITHDRAWN) {
                req.object.state = SimObject.State.OPEN;
            }
        }
        req.done.complete(0);
        changed.signalAll();
        return 0;
    }

    private void failOpen(Req req, int errno) {
        if (req.object != null && req.opcode == OP_OPEN && req.object.state != SimObject.State.WITHDRAWN) {
            req.object.state = SimObject.State.CLOSE;
        }
        req.done.complete(-errno);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        lock.lock();
        try {
            if (closed) {
                throw new ErrnoException("read", DEVICE, Errno.EBADF);
            }
            if (!bound) {
                return 0;
            }
            Req req = select();
            if (req == null) {
                return 0;
            }
            int length = req.raw != null ? req.raw.length : CachefilesCodec.encodedLength(message(req, 0, 0));
            if (length > dst.remaining()) {
                emsgsize++;
                throw new ErrnoException("read", DEVICE + " (message of " + length + " bytes)", Errno.EMSGSIZE);
            }
            req.isNew = false;
            fresh.remove(req.msgId);
            reqIdNext = req.msgId + 1;
            int fd = 0;
            if (req.opcode == OP_OPEN && req.raw == null) {
                fd = installAnonFd(req);
            }
            if (req.raw != null) {
                dst.put(req.raw);
            } else {
                CachefilesCodec.encode(message(req, fd, objectIdOf(req)), dst);
            }
            messagesRead++;
            if (req.raw != null || req.opcode == OP_CLOSE) {
                removeReq(req.msgId); // CLOSE has no reply; injected raw bytes have none either
                req.done.complete(0);
                if (req.opcode == OP_CLOSE && req.raw == null) {
                    flushRequestsOf(req.object);
                }
            }
            return length;
        } finally {
            lock.unlock();
        }
    }

    private static int objectIdOf(Req req) {
        return req.object != null ? req.object.objectId : req.foreignObjectId;
    }

    private static CachefilesMessage message(Req req, int fd, int objectId) {
        return switch (req.opcode) {
            case OP_OPEN -> new OpenMessage(req.msgId, objectId, req.object.volumeKey(), req.object.cookieKey(), fd, 0);
            case OP_READ -> new ReadMessage(req.msgId, objectId, req.offset, req.length);
            default -> new CloseMessage(req.msgId, objectId);
        };
    }

    /** cachefiles_ondemand_get_fd(): a new object_id and a new fd on the cache file. */
    private int installAnonFd(Req req) throws IOException {
        int objectId = objectIdNext;
        while (objectIds.containsKey(objectId)) {
            objectId = objectId == Integer.MAX_VALUE ? 1 : objectId + 1;
        }
        objectIdNext = objectId == Integer.MAX_VALUE ? 1 : objectId + 1;
        int fd;
        try {
            if (req.object.file == null) {
                req.object.file = cacheFile(req.object.volumeKey(), req.object.cookieKeyShared());
            }
            fd = req.object.file.openAnonFd();
        } catch (ErrnoException e) {
            if (reqs.get(req.msgId) == req) {
                removeReq(req.msgId);
            }
            failOpen(req, e.errno());
            throw e;
        }
        objectIds.put(objectId, req.object);
        req.object.objectId = objectId;
        anonFds.put(fd, new AnonFd(fd, req.object, objectId));
        fdsHandedOut++;
        return fd;
    }

    /**
     * cachefiles_ondemand_daemon_read()'s search: the first new request at or after req_id_next, else from 0.
     * READs of an object whose fd was closed are skipped and the object re-opened (after the search, as the
     * kernel queues that work).
     */
    private Req select() {
        Req pick = scan(fresh.tailMap(reqIdNext, true), reopen);
        if (pick == null && reqIdNext > 0) {
            pick = scan(fresh.headMap(reqIdNext, false), reopen);
        }
        if (reopen.isEmpty()) {
            return pick;
        }
        List<SimObject> closedObjects = List.copyOf(reopen);
        reopen.clear();
        for (SimObject o : closedObjects) {
            o.state = SimObject.State.REOPENING;
            reopens++;
            enqueue(new Req(OP_OPEN, o, 0, 0, 0, null));
            opensSent++;
        }
        return pick;
    }

    private static Req scan(NavigableMap<Integer, Req> range, List<SimObject> reopen) {
        for (Req r : range.values()) {
            if (!r.isNew) {
                continue;
            }
            if (r.opcode != OP_READ || r.object == null || r.raw != null) {
                return r;
            }
            if (r.object.state == SimObject.State.CLOSE) {
                if (!reopen.contains(r.object)) {
                    reopen.add(r.object);
                }
                continue;
            }
            if (r.object.state == SimObject.State.REOPENING || reopen.contains(r.object)) {
                continue;
            }
            return r;
        }
        return null;
    }

    private boolean pollable() {
        for (Req r : fresh.values()) {
            if (r.isNew && !(r.opcode == OP_READ && r.object != null && r.raw == null
                    && r.object.state == SimObject.State.REOPENING)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean awaitRequest(int timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(timeoutMillis, 0));
        lock.lock();
        try {
            while (true) {
                if (closed) {
                    throw new ErrnoException("poll", DEVICE, Errno.EBADF);
                }
                if (bound && pollable()) {
                    return true;
                }
                if (timeoutMillis < 0) {
                    changed.await();
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    changed.awaitNanos(left);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public ObjectFd adopt(int fd) throws IOException {
        AnonFd anon = locked(() -> anonFds.get(fd));
        if (anon == null) {
            throw new ErrnoException("adopt", "fd " + fd + " is no anonymous fd of the " + DEVICE, Errno.EBADF);
        }
        return anon;
    }

    /** Closes the device: every outstanding request fails with EIO (cachefiles_flush_reqs). Idempotent. */
    @Override
    public void close() throws IOException {
        locked(() -> {
            if (!closed) {
                closed = true;
                for (Req r : reqs.values()) {
                    r.done.complete(-Errno.EIO);
                }
                reqs.clear();
                fresh.clear();
                usedIds.clear();
                changed.signalAll();
            }
            return null;
        });
    }

    /**
     * Closes the cache files the simulation itself holds, once the test is done with the filesystem side. The
     * anonymous fds stay the daemon's to close.
     */
    public void shutdown() throws IOException {
        close();
        locked(() -> {
            for (CacheFile f : files.values()) {
                f.close();
            }
            files.clear();
            return null;
        });
    }

    /** The anonymous fd of one OPEN (cachefiles_ondemand_fd_fops). */
    private final class AnonFd implements ObjectFd {
        private final int fd;
        private final SimObject object;
        private final int objectId;
        private volatile boolean fdClosed;

        AnonFd(int fd, SimObject object, int objectId) {
            this.fd = fd;
            this.object = object;
            this.objectId = objectId;
        }

        @Override
        public int fd() {
            return fd;
        }

        @Override
        public void write(ByteBuffer src, long offset) throws IOException {
            // Checked without the kernel's lock, as the kernel's write path takes none of the daemon's: the state
            // read here is volatile, and only a refused or suspicious write takes the lock to be counted.
            if (fdClosed) {
                throw new ErrnoException("pwrite", "closed anonymous fd " + fd, Errno.EBADF);
            }
            if (object.state == SimObject.State.WITHDRAWN) {
                throw new ErrnoException("pwrite", "anonymous fd " + fd + " of a withdrawn object", Errno.ENOBUFS);
            }
            if (!PageAlignedBuffers.isAligned(offset)) {
                locked(() -> misalignedWrites++);
                throw new ErrnoException("pwrite", "anonymous fd " + fd + " at unaligned offset " + offset,
                        Errno.ENOBUFS);
            }
            // Then the backing filesystem's direct I/O (ext4/xfs, iomap_dio_bio_iter) checks length and memory.
            if ((src.remaining() & (backingBlockSize - 1)) != 0
                    || !PageAlignedBuffers.isAligned(src, backingBlockSize)) {
                locked(() -> unalignedDirectIo++);
                throw new ErrnoException("pwrite", "anonymous fd " + fd + ": direct I/O of " + src.remaining()
                        + " bytes needs a length and buffer aligned to " + backingBlockSize, Errno.EINVAL);
            }
            // The page holding the end may be written whole (direct I/O writes pages); beyond it is a bug.
            long size = object.size;
            if (size >= 0 && offset + src.remaining() > PageAlignedBuffers.roundUp(size)) {
                locked(() -> writesPastObjectSize++);
            }
            int length = src.remaining();
            Posix.pwriteFully(fd, src, offset);
            object.file.written(offset, length);
        }

        @Override
        public void readComplete(int msgId) throws IOException {
            lock.lock();
            try {
                if (fdClosed) {
                    throw new ErrnoException("ioctl", "closed anonymous fd " + fd, Errno.EBADF);
                }
                Req req = closed ? null : reqs.get(msgId);
                if (req == null || req.opcode != OP_READ || req.object != object) {
                    throw new ErrnoException("ioctl(CACHEFILES_IOC_READ_COMPLETE)",
                            "msg_id " + Integer.toUnsignedString(msgId) + " is no outstanding READ of this fd's object",
                            Errno.EINVAL);
                }
                removeReq(msgId);
                req.done.complete(0);
            } finally {
                lock.unlock();
            }
        }

        /** cachefiles_ondemand_fd_release(): the object is closed and its unread CLOSE requests dropped. */
        @Override
        public void close() throws IOException {
            boolean wasOpen = locked(() -> {
                if (fdClosed) {
                    return false;
                }
                fdClosed = true;
                anonFds.remove(fd);
                objectIds.remove(objectId);
                if (object.objectId == objectId && object.state != SimObject.State.WITHDRAWN) {
                    object.state = SimObject.State.CLOSE;
                }
                boolean closeFlushed = removeReqsIf(r -> {
                    boolean flush = r.isNew && r.opcode == OP_CLOSE && r.object == object;
                    if (flush) {
                        r.done.complete(0);
                    }
                    return flush;
                });
                if (closeFlushed) {
                    flushRequestsOf(object); // the withdrawal's CLOSE returned: clean_object goes on
                }
                changed.signalAll();
                return true;
            });
            if (wasOpen) {
                Posix.close(fd);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Filesystem side

    /**
     * Looks a cookie up, as EROFS does at mount time: sends an OPEN and waits for the daemon's copen.
     *
     * @param volumeKey the volume key without NUL (EROFS: {@code erofs,<domain_id or fsid>})
     * @param cookieKey the cookie key (EROFS: the fsid, or a device tag)
     */
    public OpenResult open(String volumeKey, byte[] cookieKey, Duration timeout) throws IOException {
        byte[] volume = volumeKey.getBytes(StandardCharsets.UTF_8);
        if (volume.length + 1 > VOLUME_KEY_MAX_SIZE || volumeKey.indexOf('\0') >= 0
                || cookieKey.length > COOKIE_KEY_MAX_SIZE) {
            throw new IllegalArgumentException("keys beyond what fscache allows");
        }
        SimObject object;
        Req req;
        lock.lock();
        try {
            if (closed) {
                return new OpenResult.Failed(Errno.EIO);
            }
            object = new SimObject(volumeKey, cookieKey);
            live.add(object);
            req = enqueue(timed(new Req(OP_OPEN, object, 0, 0, 0, null), timeout));
            opensSent++;
        } finally {
            lock.unlock();
        }
        Integer result = await(req);
        if (result == null) {
            return new OpenResult.Hung(timeout);
        }
        if (result == 0 && object.isOpen()) {
            return new OpenResult.Opened(object, object.size);
        }
        lock.lock();
        try {
            live.remove(object); // the lookup failed: the filesystem holds no object
        } finally {
            lock.unlock();
        }
        // Completed without a copen (a READ_COMPLETE on the OPEN's msg_id): the lookup does not get an object.
        return new OpenResult.Failed(result != 0 ? -result : Errno.EIO);
    }

    /** The cookie's cache file, opened when its first OPEN is read (after the bind, so the directory is known). */
    private CacheFile cacheFile(String volume, byte[] cookie) throws IOException {
        String key = volume + "\0" + HexFormat.of().formatHex(cookie);
        CacheFile file = files.get(key);
        if (file == null) {
            file = CacheFile.open(cacheDir, volume, cookie);
            files.put(key, file);
        }
        return file;
    }

    /**
     * Reads {@code [offset, offset + length)} of an open object, as EROFS reading through fscache: filled ranges
     * are returned without a request; otherwise a READ goes to the daemon and, once completed, the range is
     * checked again. The range is cut at the object's size.
     */
    public ReadResult read(SimObject object, long offset, long length, Duration timeout) throws IOException {
        if (offset < 0 || length < 0 || length > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("range " + offset + "+" + length);
        }
        // A filled range is served without the kernel's lock, as cachefiles_prepare_read() takes no global one:
        // the object's state and size are volatile, and its file is set before its size.
        if (object.state == SimObject.State.WITHDRAWN) {
            throw new IllegalStateException(object + " was closed by the filesystem");
        }
        long size = object.size;
        if (size < 0) {
            throw new IllegalStateException(object + " was never opened");
        }
        int len = (int) Math.max(0, Math.min(length, size - offset));
        CacheFile file = object.file;
        if (!closed && file.filled(offset, len)) {
            cacheHits.increment();
            return new ReadResult.Data(file.read(offset, len), true);
        }
        Req req;
        lock.lock();
        try {
            if (object.state == SimObject.State.WITHDRAWN) {
                throw new IllegalStateException(object + " was closed by the filesystem");
            }
            if (closed) {
                readsEio.increment();
                return new ReadResult.Failed(Errno.EIO);
            }
            req = enqueue(timed(new Req(OP_READ, object, offset, len, 0, null), timeout));
            readsSent++;
        } finally {
            lock.unlock();
        }
        Integer result = await(req);
        if (result == null) {
            readsHung.increment();
            return new ReadResult.Hung(timeout);
        }
        // Checked again once completed, as the kernel does: a READ completed over a hole fails the reader.
        if (result != 0 || closed || !file.filled(offset, len)) {
            readsEio.increment();
            return new ReadResult.Failed(result != 0 ? -result : Errno.EIO);
        }
        readsOk.increment();
        return new ReadResult.Data(file.read(offset, len), false);
    }

    /**
     * The filesystem lets go of the object (unmount, or cookie relinquished): a CLOSE is sent if the daemon has it
     * open. Writes through its anonymous fd fail with ENOBUFS from now on.
     */
    public void close(SimObject object) {
        lock.lock();
        try {
            if (object.state == SimObject.State.WITHDRAWN) {
                return;
            }
            live.remove(object);
            boolean closeSent = object.state == SimObject.State.OPEN && !closed;
            if (closeSent) {
                enqueue(new Req(OP_CLOSE, object, 0, 0, 0, null));
                closesSent++;
            }
            object.state = SimObject.State.WITHDRAWN;
            if (!closeSent) {
                flushRequestsOf(object);
            }
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Fault hooks

    /**
     * Queues a READ nobody waits for (e.g. a duplicate of one in flight), unless its object was withdrawn: the
     * kernel queues no request for an object being dropped (cachefiles_ondemand_send_req, Linux 6.10+; -EIO),
     * and one queued before its CLOSE was read is failed by clean_object, so no READ of it reaches the daemon after
     * its CLOSE. @return its msg_id, or -1 when nothing was queued
     */
    public int injectRead(SimObject object, long offset, long length) {
        lock.lock();
        try {
            if (object.state == SimObject.State.WITHDRAWN) {
                return -1;
            }
            return injectReq(new Req(OP_READ, object, offset, length, 0, null));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues a READ for an object_id the daemon never saw. No real kernel sends one (every READ names an object
     * whose anonymous fd is open, else it re-opens the object first): this tests a daemon's decoding only.
     * @return its msg_id
     */
    public int injectReadForUnknownObject(int objectId, long offset, long length) {
        return injectReq(new Req(OP_READ, null, offset, length, objectId, null));
    }

    /**
     * Makes an object the daemon holds the anonymous fd of but never saw the OPEN of — as a daemon that inherited
     * fds from a previous one (an fd store) or lost its map would — open at {@code size} bytes: its fd is
     * installed in this process, and READs of it carry an object_id the daemon does not know.
     */
    public SimObject injectOrphan(String volumeKey, byte[] cookieKey, long size) throws IOException {
        lock.lock();
        try {
            if (!bound || closed) {
                throw new IllegalStateException("the " + DEVICE + " is not bound");
            }
            SimObject object = new SimObject(volumeKey, cookieKey);
            live.add(object);
            Req open = new Req(OP_OPEN, object, 0, 0, 0, null);
            installAnonFd(open);
            object.size = size;
            object.file.ensureSize(size);
            object.state = SimObject.State.OPEN;
            return object;
        } finally {
            lock.unlock();
        }
    }

    /** The anonymous fds of this device open in the process (the daemon's, whether it knows them or not). */
    @Override
    public List<Integer> anonymousFds() {
        return locked(() -> List.copyOf(anonFds.keySet()));
    }

    /** Queues raw bytes read() hands out verbatim (malformed messages); they expect no answer. @return the slot */
    public int injectRaw(byte[] message) {
        return injectReq(new Req(-1, null, 0, 0, 0, message.clone()));
    }

    private int injectReq(Req req) {
        return locked(() -> {
            if (closed) {
                throw new IllegalStateException("the " + DEVICE + " is closed");
            }
            return enqueue(req).msgId;
        });
    }

    // ---------------------------------------------------------------------------------------------------------

    /**
     * cachefiles_ondemand_clean_object() after its CLOSE (Linux 6.10+): every request still queued for a withdrawn
     * object fails with EIO, so nothing of it can be left waiting. Under the lock.
     */
    private void flushRequestsOf(SimObject object) {
        if (object == null) {
            return;
        }
        removeReqsIf(r -> {
            if (r.object != object || r.raw != null) {
                return false;
            }
            r.done.complete(-Errno.EIO);
            return true;
        });
        changed.signalAll();
    }

    /** Queues a request at the lowest free msg_id, as the kernel's xarray allocation does. Under the lock. */
    private Req enqueue(Req req) {
        int id = usedIds.nextClearBit(0);
        req.msgId = id;
        reqs.put(id, req);
        fresh.put(id, req);
        usedIds.set(id);
        changed.signalAll();
        return req;
    }

    /** Work done under the kernel's lock. */
    @FunctionalInterface
    private interface Locked<T, E extends Exception> {
        T run() throws E;
    }

    /** Runs {@code body} under the kernel's lock; what it returns is returned. */
    private <T, E extends Exception> T locked(Locked<T, E> body) throws E {
        lock.lock();
        try {
            return body.run();
        } finally {
            lock.unlock();
        }
    }

    /** Takes the requests {@code drop} says to out of the outstanding (and the new) ones. Under the lock. */
    private boolean removeReqsIf(Predicate<Req> drop) {
        boolean any = false;
        for (Iterator<Req> it = reqs.values().iterator(); it.hasNext();) {
            Req r = it.next();
            if (drop.test(r)) {
                it.remove();
                fresh.remove(r.msgId);
                usedIds.clear(r.msgId);
                any = true;
            }
        }
        return any;
    }

    /** Takes request {@code id} out of the outstanding (and the new) ones; null if it is not there. Under the lock. */
    private Req removeReq(int id) {
        Req req = reqs.remove(id);
        if (req != null) {
            fresh.remove(id);
            usedIds.clear(id);
        }
        return req;
    }

    /**
     * Gives {@code req} its waiter's deadline and makes sure the watchdog runs. Under the lock. A reader in the real
     * kernel waits without a timer; the simulation's timeout only reports a hang, so one watchdog sweeps the
     * outstanding requests instead of a timer armed and cancelled per request (that timer was a quarter of the CPU
     * of every READ the P4 benchmark sends).
     */
    private Req timed(Req req, Duration timeout) {
        long nanos = Math.max(0, Math.min(timeout.toNanos(), MAX_WAIT_NANOS));
        req.deadline = System.nanoTime() + nanos;
        if (req.deadline == 0) {
            req.deadline = 1; // 0 means untimed
        }
        if (watchdog == null) {
            watchdog = Thread.ofPlatform().daemon().name("simulated-cachefiles-watchdog").start(this::watch);
        }
        return req;
    }

    /**
     * Answers the wait of every request whose waiter's deadline passed with {@link #HUNG} (the request stays
     * outstanding, as a hung one does), every {@link #WATCHDOG_TICK_NANOS}; ends once nobody waits on a deadline.
     */
    private void watch() {
        while (true) {
            lock.lock();
            try {
                boolean waiting = false;
                long now = System.nanoTime();
                for (Req r : reqs.values()) {
                    if (r.deadline == 0 || r.done.isDone()) {
                        continue;
                    }
                    if (now - r.deadline >= 0) {
                        r.done.complete(HUNG);
                    } else {
                        waiting = true;
                    }
                }
                if (!waiting) {
                    watchdog = null;
                    return;
                }
            } finally {
                lock.unlock();
            }
            LockSupport.parkNanos(WATCHDOG_TICK_NANOS);
        }
    }

    /** The request's result, or null if its deadline passed first. */
    private static Integer await(Req req) throws IOException {
        try {
            Integer result = req.done.get();
            return result == HUNG ? null : result;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted waiting for the daemon");
        } catch (ExecutionException e) {
            throw new IOException(e.getCause());
        }
    }

    /** The counters so far. */
    public SimStats stats() {
        return locked(() -> new SimStats(opensSent, readsSent, closesSent, messagesRead, cacheHits.sum(), readsOk.sum(),
                    readsEio.sum(), readsHung.sum(),
                    fdsHandedOut, anonFds.size(), misalignedWrites, unalignedDirectIo, writesPastObjectSize, emsgsize,
                    reopens, reqs.size()));
    }

    /** The tag the daemon set (CacheFiles by default once bound); null before. */
    public String tag() {
        return locked(() -> tag);
    }

    /** Where the cache files live (under the {@code dir} the daemon gave); null before the bind. */
    public Path cacheDirectory() {
        return locked(() -> bound ? cacheDir : null);
    }
}
