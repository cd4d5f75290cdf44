package dev.ondemandd.daemon.frontend.cachefiles;

import dev.ondemandd.daemon.cache.CacheSpace;
import dev.ondemandd.daemon.cache.CullLimits;
import dev.ondemandd.daemon.core.Core;
import dev.ondemandd.daemon.core.LogIds;
import dev.ondemandd.daemon.core.NamedThreads;
import dev.ondemandd.daemon.core.ObjectHandle;
import dev.ondemandd.daemon.core.ObjectKey;
import dev.ondemandd.daemon.core.OpenReply;
import dev.ondemandd.daemon.core.ReadReply;
import dev.ondemandd.protocol.cachefiles.CachefilesCodec;
import dev.ondemandd.protocol.cachefiles.CachefilesCommands;
import dev.ondemandd.protocol.cachefiles.CachefilesDevice;
import dev.ondemandd.protocol.cachefiles.CachefilesMessage;
import dev.ondemandd.protocol.cachefiles.CloseMessage;
import dev.ondemandd.protocol.cachefiles.MalformedMessageException;
import dev.ondemandd.protocol.cachefiles.ObjectFd;
import dev.ondemandd.protocol.cachefiles.OpenMessage;
import dev.ondemandd.protocol.cachefiles.ReadMessage;
import java.io.IOException;
import java.lang.System.Logger.Level;
import dev.ondemandd.protocol.nativeio.Errno;
import dev.ondemandd.protocol.nativeio.ErrnoException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serves /dev/cachefiles (on-demand mode) with the core: a platform thread reads one message per read()
 * into a reused 1024-byte direct buffer, decodes it and hands it on — OPEN to {@link Core#open} (always
 * answered with {@code copen}), READ to the object's {@link ObjectHandle#read} (completed with
 * READ_COMPLETE, also when it failed: the hole left is the reader's EIO), CLOSE to
 * {@link ObjectHandle#close()}. Malformed messages are answered as far as their header allows.
 */
public final class CachefilesFrontend implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(CachefilesFrontend.class.getName());
    /** How long one wait for a request lasts, so a stop is noticed promptly. */
    public static final int POLL_MILLIS = 100;
    /** Pause after a failed device read, so a broken device cannot spin the loop. */
    private static final long ERROR_BACKOFF_MILLIS = 100;
    private static final int EIO = 5;
    /** What an operator can do when the kernel refuses writes for want of space. */
    static final String SPACE_REMEDY = "free space on its filesystem, or lower cachefiles.bstop (the kernel refuses"
            + " writes, ENOBUFS, once free space falls below it)";

    private final CachefilesDevice device;
    private final Core core;
    private final ConcurrentHashMap<Integer, Bound> objects = new ConcurrentHashMap<>();
    /** The anonymous fds this frontend adopted and has not closed yet (the core may still write through them). */
    private final Set<Integer> ownFds = ConcurrentHashMap.newKeySet();
    private final Object commandLock = new Object();
    private final FrontendStats stats = new FrontendStats();
    private volatile boolean running;
    private volatile Runnable heartbeat = () -> { };
    /** The bound cache directory's space; replaced at bind. */
    private volatile CacheSpace space = CacheSpace.of(Path.of("."), SPACE_REMEDY);
    private Thread loop;

    /** An object id's handle and the fd it completes READs on. */
    private record Bound(ObjectHandle handle, CachefilesTarget target) {
    }

    public CachefilesFrontend(CachefilesDevice device, Core core) {
        this.device = device;
        this.core = core;
    }

    /** Writes {@code dir}, {@code tag} and {@code bind ondemand}; requests flow after this. */
    public void bind(String dir, String tag) throws IOException {
        bind(dir, tag, CullLimits.DEFAULTS);
    }

    /** As {@link #bind(String, String)}, with the culling limits written before the bind. */
    public void bind(String dir, String tag, CullLimits limits) throws IOException {
        space = CacheSpace.of(Path.of(dir), SPACE_REMEDY);
        device.command(CachefilesCommands.dir(dir));
        device.command(CachefilesCommands.tag(tag));
        for (String limit : limits.commands()) {
            device.command(limit);
        }
        device.command(CachefilesCommands.BIND_ONDEMAND);
        LOG.log(Level.INFO, "cachefiles bound: dir " + dir + ", tag " + tag + ", on-demand mode, writes refused below "
                + limits.bstop() + "% free blocks");
    }

    /** Starts the read loop on its own platform thread (a JNA call pins a virtual thread). */
    public synchronized void start() {
        if (loop != null) {
            throw new IllegalStateException("already started");
        }
        running = true;
        loop = NamedThreads.platform("cachefiles").newThread(this::serve);
        loop.start();
    }

    /** Stops reading requests after the message at hand, without waiting for the loop to end. */
    public void requestStop() {
        running = false;
    }

    /** Stops reading requests and waits for the loop to end; objects stay open (the core closes them). */
    public void stop() throws InterruptedException {
        running = false;
        Thread thread;
        synchronized (this) {
            thread = loop;
        }
        if (thread != null && thread != Thread.currentThread()) {
            thread.join();
        }
    }

    /**
     * Runs {@code heartbeat} once per loop iteration (at least every {@link #POLL_MILLIS} while the loop is
     * healthy): systemd's watchdog is fed from here, so a stuck loop stops the pings.
     */
    public void onEachIteration(Runnable heartbeat) {
        this.heartbeat = heartbeat;
    }

    public FrontendStats stats() {
        return stats;
    }

    /** Objects the kernel opened and has not closed. */
    public int openObjects() {
        return objects.size();
    }

    private void serve() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(CachefilesDevice.MSG_MAX_SIZE);
        boolean pending = false;
        while (running) {
            heartbeat.run();
            try {
                // read() returns 0 when nothing is pending, so poll() is only needed once the queue ran dry: under
                // load one syscall per message instead of two.
                if (!pending && !device.awaitRequest(POLL_MILLIS)) {
                    continue;
                }
                buffer.clear();
                int n = device.read(buffer);
                pending = n > 0;
                if (n <= 0) {
                    continue;
                }
                stats.messages.increment();
                buffer.limit(n).position(0);
                dispatch(buffer);
            } catch (IOException e) {
                pending = false;
                if (!running) {
                    break;
                }
                LOG.log(Level.ERROR, "reading /dev/cachefiles failed: " + e.getMessage());
                pause();
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "serving a cachefiles request failed unexpectedly", e);
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(ERROR_BACKOFF_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void dispatch(ByteBuffer message) {
        CachefilesMessage decoded;
        try {
            decoded = CachefilesCodec.decode(message);
        } catch (MalformedMessageException e) {
            malformed(e);
            return;
        }
        switch (decoded) {
            case OpenMessage open -> open(open);
            case ReadMessage read -> read(read);
            case CloseMessage close -> close(close);
        }
    }

    private void open(OpenMessage message) {
        ObjectFd fd;
        try {
            fd = device.adopt(message.fd());
        } catch (IOException e) {
            LOG.log(Level.ERROR, "OPEN msg " + message.msgId() + ": cannot take anon fd " + message.fd() + ": "
                    + e.getMessage());
            copen(message.msgId(), -EIO);
            return;
        }
        int fdNumber = fd.fd();
        ownFds.add(fdNumber);
        CachefilesTarget target = new CachefilesTarget(fd, message.objectId(), space, () -> ownFds.remove(fdNumber));
        ObjectKey key = new ObjectKey(message.volumeKey(), message.cookieKey());
        core.open(key, target, new OpenReply() {
            @Override
            public void opened(ObjectHandle handle) {
                Bound bound = new Bound(handle, target);
                Bound previous = objects.put(message.objectId(), bound);
                if (previous != null) {
                    LOG.log(Level.WARNING, "OPEN " + handle.describe() + " while " + previous.handle().describe()
                            + " was still open; the old one is closed");
                    previous.handle().close();
                }
                if (copen(message.msgId(), handle.size())) {
                    LOG.log(Level.INFO, "OPEN " + handle.describe() + " fd " + target.fd() + " size "
                            + handle.size());
                } else if (objects.remove(message.objectId(), bound)) {
                    handle.close();
                }
            }

            @Override
            public void failed(int errno) {
                // The core has logged why, once; this line only ties it to the kernel's id.
                LOG.log(Level.DEBUG, "OPEN " + LogIds.of(target, LogIds.NO_ID, key) + " answered -" + errno);
                copen(message.msgId(), -errno);
            }
        });
    }

    /** Writes {@code copen}; false (logged, counted) when the kernel refused it. */
    private boolean copen(int msgId, long sizeOrNegativeErrno) {
        String command = CachefilesCommands.copen(msgId, sizeOrNegativeErrno);
        try {
            synchronized (commandLock) {
                device.command(command);
            }
            return true;
        } catch (IOException | RuntimeException e) {
            stats.copenErrors.increment();
            LOG.log(Level.ERROR, "'" + command + "' failed: " + e.getMessage());
            return false;
        }
    }

    private void read(ReadMessage message) {
        Bound bound = objects.get(message.objectId());
        if (bound == null) {
            stats.unknownObject.increment();
            completeThroughOrphan(message.msgId(), message.objectId());
            return;
        }
        bound.handle().read(message.offset(), message.length(), new Completion(bound.target(), message.msgId()));
    }

    /**
     * A READ of an object whose OPEN this daemon never saw: its anonymous fd, the only one READ_COMPLETE accepts
     * it through (Linux 6.10+; older kernels take any), can only be one this process holds without knowing it —
     * inherited from a previous daemon, or left by a lost map. Each such orphan is tried; the one that takes the
     * READ_COMPLETE wakes the reader (the range is still a hole: EIO) and is closed, so the kernel re-opens the
     * object on its next READ and this daemon serves it from then on. With no orphan that takes it, the READ waits
     * in the kernel until its object is withdrawn (umount) or the device is closed; the log line says so.
     */
    private void completeThroughOrphan(int msgId, int objectId) {
        try {
            for (int fd : device.anonymousFds()) {
                if (ownFds.contains(fd)) {
                    continue;
                }
                ObjectFd orphan = device.adopt(fd);
                try {
                    orphan.readComplete(msgId);
                } catch (ErrnoException e) {
                    if (e.errno() == Errno.EINVAL) {
                        continue; // another object's fd: leave it as it is
                    }
                    throw e;
                }
                orphan.close();
                stats.orphansCompleted.increment();
                LOG.log(Level.WARNING, "READ msg " + msgId + " for unknown object_id " + objectId + " completed"
                        + " through orphaned anon fd " + fd + " (the reader gets EIO); fd closed, so the kernel"
                        + " re-opens the object on its next read");
                return;
            }
        } catch (IOException e) {
            LOG.log(Level.ERROR, "READ msg " + msgId + " for unknown object_id " + objectId + ": looking for its"
                    + " anon fd failed: " + e.getMessage());
            return;
        }
        LOG.log(Level.ERROR, "READ msg " + msgId + " for unknown object_id " + objectId + ": no anon fd of this"
                + " process completes it; its reader waits until the object is withdrawn (umount) or the cache is"
                + " unbound (stop ondemandd and whatever holds /dev/cachefiles)");
    }

    private void close(CloseMessage message) {
        Bound bound = objects.remove(message.objectId());
        if (bound == null) {
            stats.unknownObject.increment();
            LOG.log(Level.WARNING, "CLOSE for unknown object_id " + message.objectId() + "; ignored");
            return;
        }
        LOG.log(Level.INFO, "CLOSE " + bound.handle().describe());
        bound.handle().close();
    }

    private void malformed(MalformedMessageException e) {
        stats.malformed.increment();
        LOG.log(Level.WARNING, "malformed cachefiles message (" + e.getMessage() + "); " + e.answer());
        switch (e.answer()) {
            case COPEN_ERROR -> {
                copen(e.msgId(), e.copenResult());
                if (e.openFd() >= 0) {
                    try {
                        device.adopt(e.openFd()).close();
                    } catch (IOException closeFailed) {
                        LOG.log(Level.WARNING, "closing anon fd " + e.openFd() + " failed: " + closeFailed.getMessage());
                    }
                }
            }
            case FAIL_READ -> {
                Bound bound = objects.get(e.objectId());
                if (bound == null) {
                    stats.unknownObject.increment();
                    completeThroughOrphan(e.msgId(), e.objectId());
                } else {
                    new Completion(bound.target(), e.msgId()).complete();
                }
            }
            case DROP -> {
            }
        }
    }

    /** Completes a READ through its object's fd, whatever its outcome. */
    private final class Completion implements ReadReply {
        private final CachefilesTarget target;
        private final int msgId;

        Completion(CachefilesTarget target, int msgId) {
            this.target = target;
            this.msgId = msgId;
        }

        @Override
        public void filled() {
            complete();
        }

        @Override
        public void failed(int errno) {
            // cachefiles has no error code for a READ: the hole left makes the reader's read fail with EIO.
            complete();
        }

        void complete() {
            try {
                if (!target.complete(msgId)) {
                    LOG.log(Level.DEBUG, "READ msg " + msgId + ": fd already closed");
                }
            } catch (IOException e) {
                stats.completeErrors.increment();
                LOG.log(Level.WARNING, "READ_COMPLETE msg " + msgId + " for " + target.label() + " on fd " + target.fd() + " failed: "
                        + e.getMessage());
            }
        }
    }

    /** Stops the loop. The caller then closes the core (answering and closing everything) and the device. */
    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
