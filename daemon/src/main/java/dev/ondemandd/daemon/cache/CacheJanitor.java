package dev.ondemandd.daemon.cache;

import dev.ondemandd.daemon.core.NamedThreads;
import dev.ondemandd.protocol.nativeio.NativeFile;
import dev.ondemandd.protocol.nativeio.Posix;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Keeps the fanotify frontend's cache directory ({@code blobs/*.blob}, {@code meta/*.erofs}) under a quota
 * ({@code cache.quota}): on each pass, files that mounted images use are stamped as used now (their mtime, so the
 * order survives a restart) and never touched; when the files hold more than the quota on disk, idle ones are
 * deleted least recently used first ({@link LruEviction}). A blob evicted and later wanted again is created
 * sparse and fetched again, like a new one. Passes run at start and then every {@code interval}.
 */
public final class CacheJanitor implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(CacheJanitor.class.getName());
    /** The cache's subdirectories and the file names in them that the janitor manages. */
    /** The suffix of a blob's fill record, kept next to it (the fanotify frontend's {@code FillRecord}). */
    public static final String FILL_RECORD_SUFFIX = ".units";
    private static final List<String[]> MANAGED = List.of(new String[] {"blobs", ".blob"},
            new String[] {"meta", ".erofs"});

    /** Who uses cache files: the fanotify server, which holds off new uses while the action runs. */
    @FunctionalInterface
    public interface Users {
        /** Runs {@code action} with the cache files in use; none is taken into use until it returns. */
        void whileInUse(Consumer<Set<Path>> action);
    }

    /**
     * What one pass did.
     *
     * @param bytesBefore bytes the managed files held on disk before the pass
     * @param bytesAfter after it
     * @param evicted the files deleted, in order
     * @param inUseBytes bytes of files in use (never evicted)
     */
    public record Pass(long bytesBefore, long bytesAfter, List<Path> evicted, long inUseBytes) {
    }

    private final Path cacheDir;
    private final long quota;
    private final Users users;
    private final Clock clock;
    private ScheduledExecutorService timer;
    private boolean warnedOverQuota;

    public CacheJanitor(Path cacheDir, long quota, Users users, Clock clock) {
        if (quota <= 0) {
            throw new IllegalArgumentException("cache quota must be positive: " + quota);
        }
        this.cacheDir = cacheDir.toAbsolutePath();
        this.quota = quota;
        this.users = users;
        this.clock = clock;
    }

    /** Runs a pass now and then every {@code interval}, on a named thread. */
    public synchronized CacheJanitor start(Duration interval) {
        if (timer != null) {
            throw new IllegalStateException("already started");
        }
        timer = Executors.newSingleThreadScheduledExecutor(NamedThreads.platform("cache-janitor"));
        timer.scheduleWithFixedDelay(this::passLogged, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    private void passLogged() {
        try {
            pass();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "cache quota pass over " + cacheDir + " failed: " + e.getMessage());
        }
    }

    /** One pass: stamp what is in use, evict idle files least recently used first until under the quota. */
    public synchronized Pass pass() throws IOException {
        Pass[] result = new Pass[1];
        IOException[] failure = new IOException[1];
        users.whileInUse(inUse -> {
            try {
                result[0] = passHolding(inUse);
            } catch (IOException e) {
                failure[0] = e;
            }
        });
        if (failure[0] != null) {
            throw failure[0];
        }
        return result[0];
    }

    private Pass passHolding(Set<Path> inUse) throws IOException {
        Instant now = clock.instant();
        List<LruEviction.Entry> entries = new ArrayList<>();
        long before = 0;
        long inUseBytes = 0;
        for (Path file : managedFiles()) {
            boolean used = inUse.contains(file);
            long bytes;
            long lastUsed;
            try {
                bytes = bytesOnDisk(file);
                if (used) {
                    Files.setLastModifiedTime(file, FileTime.from(now));
                    lastUsed = now.toEpochMilli();
                    inUseBytes += bytes;
                } else {
                    lastUsed = Files.getLastModifiedTime(file).toMillis();
                }
            } catch (NoSuchFileException e) {
                continue;
            }
            before += bytes;
            entries.add(new LruEviction.Entry(file, bytes, lastUsed, used));
        }
        List<Path> evicted = new ArrayList<>();
        long after = before;
        for (LruEviction.Entry e : LruEviction.choose(entries, quota)) {
            try {
                Files.deleteIfExists(e.path());
                // its fill record goes with it: a blob created anew starts with an empty one either way
                Files.deleteIfExists(e.path().resolveSibling(e.path().getFileName() + FILL_RECORD_SUFFIX));
            } catch (IOException failed) {
                LOG.log(Level.WARNING, "cache quota: cannot evict " + e.path() + ": " + failed.getMessage());
                continue;
            }
            evicted.add(e.path());
            after -= e.bytes();
            LOG.log(Level.INFO, String.format(Locale.ROOT, "cache quota %s: evicted %s (%s, unused since %s)",
                    size(quota), cacheDir.relativize(e.path()), size(e.bytes()),
                    Instant.ofEpochMilli(e.lastUsedMillis())));
        }
        if (after > quota && !warnedOverQuota) {
            warnedOverQuota = true;
            LOG.log(Level.WARNING, String.format(Locale.ROOT, "cache %s holds %s, above cache.quota %s, and the"
                    + " mounted images use %s of it, which is never evicted: raise cache.quota or unmount images",
                    cacheDir, size(after), size(quota), size(inUseBytes)));
        } else if (after <= quota) {
            warnedOverQuota = false;
        }
        return new Pass(before, after, evicted, inUseBytes);
    }

    private List<Path> managedFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        for (String[] kind : MANAGED) {
            Path dir = cacheDir.resolve(kind[0]);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> list = Files.list(dir)) {
                list.filter(p -> p.getFileName().toString().endsWith(kind[1]) && Files.isRegularFile(p))
                        .forEach(files::add);
            }
        }
        return files;
    }

    /** The bytes of {@code file}'s data extents: what it takes on disk, holes excluded (to the block). */
    static long bytesOnDisk(Path file) throws IOException {
        try (NativeFile f = NativeFile.open(file.toString(), Posix.O_RDONLY | Posix.O_CLOEXEC)) {
            long size = f.size();
            long total = 0;
            long pos = 0;
            while (pos < size) {
                long data = f.seekData(pos);
                if (data < 0) {
                    break;
                }
                long hole = f.seekHole(data);
                long end = hole < 0 ? size : Math.min(hole, size);
                total += end - data;
                pos = end;
            }
            return total;
        }
    }

    private static String size(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
            try {
                timer.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
