package dev.ondemandd.daemon.cache;

import dev.ondemandd.daemon.core.NamedThreads;
import dev.ondemandd.protocol.cachefiles.CachefilesCommands;
import dev.ondemandd.protocol.cachefiles.CachefilesDevice;
import dev.ondemandd.protocol.nativeio.Errno;
import dev.ondemandd.protocol.nativeio.ErrnoException;
import dev.ondemandd.protocol.nativeio.Posix;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Keeps a cachefiles cache under a quota ({@code cachefiles.quota}) with the kernel's own culling commands: the
 * object files under {@code <dir>/cache} are taken least recently used first (the later of their access and
 * modification times); for each, {@code inuse <name>} tells whether a mounted filesystem holds it (EBUSY: it is
 * never touched) and {@code cull <name>} has the kernel remove an idle one, until the files fit the quota. Both
 * commands name a file in the writing thread's current directory, so they are written from one platform thread
 * that unshared its filesystem attributes (unshare(CLONE_FS)) and changes directory alone. An object culled and
 * looked up again is created empty by the kernel and fetched again through OPEN/READ.
 */
public final class CachefilesCuller implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(CachefilesCuller.class.getName());

    private final CachefilesDevice device;
    private final Path objects;
    private final long quota;
    private final ScheduledExecutorService thread;
    private boolean warnedOverQuota;

    /**
     * @param dir the cache directory given to the kernel ({@code dir}); its objects live under {@code dir/cache}
     * @param quota bytes the object files may hold on disk
     */
    public CachefilesCuller(CachefilesDevice device, Path dir, long quota) {
        if (quota <= 0) {
            throw new IllegalArgumentException("cache quota must be positive: " + quota);
        }
        this.device = device;
        this.objects = dir.toAbsolutePath().resolve("cache");
        this.quota = quota;
        this.thread = Executors.newSingleThreadScheduledExecutor(NamedThreads.platform("cachefiles-cull"));
        this.thread.execute(() -> {
            try {
                Posix.unshareFs();
            } catch (ErrnoException e) {
                LOG.log(Level.ERROR, "cache quota off: cannot give the culling thread its own directory: "
                        + e.getMessage());
                thread.shutdown();
            }
        });
    }

    /** Runs a pass every {@code interval}, the first at once. */
    public CachefilesCuller start(Duration interval) {
        thread.scheduleWithFixedDelay(() -> {
            try {
                passHere();
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "cache quota pass over " + objects + " failed: " + e.getMessage());
            }
        }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** One pass, on the culling thread; returns what it did. */
    public CacheJanitor.Pass pass() throws IOException, InterruptedException {
        try {
            return thread.submit(this::passHere).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    private CacheJanitor.Pass passHere() throws IOException {
        List<LruEviction.Entry> entries = new ArrayList<>();
        long total = 0;
        if (Files.isDirectory(objects)) {
            try (Stream<Path> walk = Files.walk(objects)) {
                for (Path file : walk.filter(Files::isRegularFile).toList()) {
                    try {
                        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                        long used = Math.max(a.lastAccessTime().toMillis(), a.lastModifiedTime().toMillis());
                        long bytes = CacheJanitor.bytesOnDisk(file);
                        entries.add(new LruEviction.Entry(file, bytes, used, false));
                        total += bytes;
                    } catch (IOException gone) {
                        continue; // culled or replaced meanwhile
                    }
                }
            }
        }
        long before = total;
        long inUseBytes = 0;
        List<Path> evicted = new ArrayList<>();
        for (LruEviction.Entry e : LruEviction.leastRecentlyUsedFirst(entries)) {
            if (total <= quota) {
                break;
            }
            String name = e.path().getFileName().toString();
            try {
                Posix.chdir(e.path().getParent().toString());
                device.command(CachefilesCommands.inuse(name));
                device.command(CachefilesCommands.cull(name));
            } catch (ErrnoException refused) {
                if (refused.errno() == Errno.EBUSY) {
                    inUseBytes += e.bytes();
                } else if (refused.errno() != Errno.ENOENT) {
                    LOG.log(Level.WARNING, "cache quota: cannot cull " + e.path() + ": " + refused.getMessage());
                }
                continue;
            }
            evicted.add(e.path());
            total -= e.bytes();
            LOG.log(Level.INFO, String.format(Locale.ROOT, "cache quota %.1f MiB: culled %s (%.1f MiB, unused since"
                    + " %s)", quota / 1048576.0, objects.relativize(e.path()), e.bytes() / 1048576.0,
                    Instant.ofEpochMilli(e.lastUsedMillis())));
        }
        if (total > quota && !warnedOverQuota) {
            warnedOverQuota = true;
            LOG.log(Level.WARNING, String.format(Locale.ROOT, "cache %s holds %.1f MiB, above cachefiles.quota"
                    + " %.1f MiB, in objects mounted filesystems use: raise cachefiles.quota or unmount images",
                    objects, total / 1048576.0, quota / 1048576.0));
        } else if (total <= quota) {
            warnedOverQuota = false;
        }
        return new CacheJanitor.Pass(before, total, evicted, inUseBytes);
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
