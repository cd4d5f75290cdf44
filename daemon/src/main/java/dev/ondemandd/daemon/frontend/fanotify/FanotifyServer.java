package dev.ondemandd.daemon.frontend.fanotify;

import dev.ondemandd.daemon.core.CacheTarget;
import dev.ondemandd.daemon.core.Core;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.ObjectHandle;
import dev.ondemandd.daemon.core.ObjectKey;
import dev.ondemandd.daemon.core.OpenReply;
import dev.ondemandd.daemon.core.ReadOutcome;
import dev.ondemandd.daemon.core.SourceRule;
import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.FetcherRegistry;
import dev.ondemandd.fetchers.decorators.Digests;
import dev.ondemandd.protocol.erofs.ErofsDevice;
import dev.ondemandd.protocol.erofs.ErofsChunks;
import dev.ondemandd.protocol.erofs.ErofsSuperblock;
import dev.ondemandd.protocol.nativeio.ErrnoException;
import dev.ondemandd.protocol.nativeio.FanotifyGroup;
import dev.ondemandd.protocol.nativeio.Mounts;
import dev.ondemandd.protocol.nativeio.Posix;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Serves EROFS images through fanotify pre-content events: prepares each image (metadata fetched whole, blob
 * cache files created sparse and marked), mounts it, and on {@link #close()} unmounts every image it mounted
 * before the group is released — closing the group first would let pending reads see zeros.
 *
 * <p>Cache layout: {@code <dir>/meta/<sha256>.erofs} (content-addressed, so a changed image never meets the
 * blobs of the old one) and {@code <dir>/blobs/<sha256(meta digest, slot)>.blob}.
 */
public final class FanotifyServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(FanotifyServer.class.getName());
    /** The volume key of every fanotify blob in the core. */
    public static final String VOLUME = "fanotify";
    private static final int COPY_CHUNK = 1 << 20;
    private static final long BUSY_RETRY_MILLIS = 200;
    private static final String SELF_CHECK = "self-check";
    private static final Path EROFS_SYSFS = Path.of("/sys/fs/erofs");
    private static final Path BDI_SYSFS = Path.of("/sys/class/bdi");
    /**
     * Two default units (two events, a fill-ahead), and little to write and compare: the check runs before READY,
     * and 8 MiB of pattern written and compared by code not compiled yet was a sixth of the time to READY.
     */
    static final long SELF_CHECK_SIZE = 2L << 20;
    private static final int SELF_CHECK_READ = 4096;

    private final Core core;
    private final FetcherRegistry fetchers;
    private final FanotifyGroup group;
    private final FanotifyFrontend frontend;
    private final Path cacheDir;
    private final FanotifySettings settings;
    private final Failover failover;
    private final List<PreparedImage> mounted = new ArrayList<>();
    private final List<PreparedImage> prepared = new ArrayList<>();

    /**
     * @param group the pre-content group (new, or adopted from an fd holder); closed by {@link #close()}
     */
    public FanotifyServer(Core core, FetcherRegistry fetchers, FanotifyGroup group, Path cacheDir,
            FanotifySettings settings) throws IOException {
        this(core, fetchers, Failover.without(group), cacheDir, settings);
    }

    /**
     * @param failover the group with what keeps it across a restart; when it was handed back (a predecessor
     *     died), events are read only from {@link #startServing()} on, after recovery
     */
    public FanotifyServer(Core core, FetcherRegistry fetchers, Failover failover, Path cacheDir,
            FanotifySettings settings) throws IOException {
        FanotifyGroup group = failover.group();
        if (cacheDir.toString().contains(",")) {
            throw new IOException("cache dir " + cacheDir + " contains ',', which mount options cannot carry");
        }
        this.core = core;
        this.fetchers = fetchers;
        this.group = group;
        this.cacheDir = cacheDir.toAbsolutePath();
        this.settings = settings;
        this.failover = failover;
        Files.createDirectories(this.cacheDir.resolve("meta"));
        Files.createDirectories(this.cacheDir.resolve("blobs"));
        this.frontend = new FanotifyFrontend(group, settings.fillAhead());
        frontend.journal(failover.journal());
        if (!failover.adopted()) {
            frontend.start();
        }
    }

    /**
     * With a group handed back by the fd holder: answers what the dead predecessor left pending (its journaled
     * events filled and allowed, events it read but never journaled failed with EIO), then starts reading
     * events. Call once every image is {@link #prepare prepared}, before {@link #mountOrAdopt}. With a new group
     * the loop runs already and this does nothing.
     */
    public synchronized void startServing() throws IOException {
        if (!failover.adopted()) {
            return;
        }
        long start = System.nanoTime();
        FailoverRecovery.Report report;
        try {
            report = frontend.recover(failover.probeLimit(),
                    core.settings().readDeadline().plus(java.time.Duration.ofSeconds(5)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while recovering the fanotify group");
        }
        LOG.log(report.complete() ? Level.INFO : Level.ERROR, "failover: took the fanotify group back; "
                + report.allowed() + " pending event(s) filled and allowed, " + report.denied() + " denied EIO (fill"
                + " failed), " + report.unrecordedDenied() + " denied EIO (never journaled), " + report.alreadyAnswered()
                + " already answered; fd numbers 0.." + (report.probed() - 1) + " probed in "
                + (System.nanoTime() - start) / 1_000_000 + " ms" + (report.complete() ? ""
                        : "; some fills did not finish in time (their readers wait for the core's deadline)"));
        frontend.start();
    }

    /** The core key of blob {@code slot} (1-based) of image {@code index}. */
    public static ObjectKey blobKey(int index, int slot) {
        return ObjectKey.of(VOLUME, "image" + index + ".blob" + slot);
    }

    /** The source rules that let the core resolve the blobs of {@code images}; put them before configured ones. */
    public static List<SourceRule> sourceRules(List<ImageSpec> images) {
        List<SourceRule> rules = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            rules.addAll(sourceRules(i, images.get(i)));
        }
        return rules;
    }

    /** The source rules of image {@code index}'s blobs (an image mounted at runtime gets an index of its own). */
    public static List<SourceRule> sourceRules(int index, ImageSpec image) {
        List<SourceRule> rules = new ArrayList<>();
        List<URI> blobs = image.blobs();
        for (int s = 0; s < blobs.size(); s++) {
            rules.add(SourceRule.of(VOLUME, blobKey(index, s + 1).cookieText(), blobs.get(s).toString()));
        }
        return rules;
    }

    /** The source of the self-check's synthetic blob; add it to the core's rules to run {@link #selfCheck}. */
    public static SourceRule selfCheckRule(Path cacheDir) {
        return SourceRule.of(VOLUME, SELF_CHECK, cacheDir.toAbsolutePath().resolve(SELF_CHECK + ".src").toUri()
                .toString());
    }

    /**
     * {@code listener} without the self-check's object: it is no request of the kernel's, so traces and metrics
     * do not show it.
     */
    public static CoreListener hidingSelfCheck(CoreListener listener) {
        ObjectKey selfCheck = ObjectKey.of(VOLUME, SELF_CHECK);
        return new CoreListener() {
            @Override
            public void onOpen(ObjectKey key, long objectId, long size, long latencyNanos) {
                if (!key.equals(selfCheck)) {
                    listener.onOpen(key, objectId, size, latencyNanos);
                }
            }

            @Override
            public void onOpenFailed(ObjectKey key, int errno, long latencyNanos) {
                if (!key.equals(selfCheck)) {
                    listener.onOpenFailed(key, errno, latencyNanos);
                }
            }

            @Override
            public void onRead(ObjectKey key, long objectId, long offset, long length) {
                if (!key.equals(selfCheck)) {
                    listener.onRead(key, objectId, offset, length);
                }
            }

            @Override
            public void onReadDone(ObjectKey key, long objectId, long offset, long length, ReadOutcome outcome,
                    int errno, long latencyNanos) {
                if (!key.equals(selfCheck)) {
                    listener.onReadDone(key, objectId, offset, length, outcome, errno, latencyNanos);
                }
            }

            @Override
            public void onFetch(ObjectKey key, long offset, int length, int errno, long latencyNanos) {
                if (!key.equals(selfCheck)) {
                    listener.onFetch(key, offset, length, errno, latencyNanos);
                }
            }

            @Override
            public void onClose(ObjectKey key, long objectId) {
                if (!key.equals(selfCheck)) {
                    listener.onClose(key, objectId);
                }
            }

            @Override
            public void onRelease(ObjectKey key, long objectId) {
                if (!key.equals(selfCheck)) {
                    listener.onRelease(key, objectId);
                }
            }
        };
    }

    /**
     * Serves a small synthetic blob through the whole path — mark, event, fetch, write through the event fd,
     * answer — and checks every byte read back. A cache directory on a filesystem without pre-content support,
     * or a kernel that does not deliver the events, fails here with a clear error instead of at the first
     * reader; and the event path is compiled (JIT) before the first real reader comes.
     */
    public synchronized void selfCheck() throws IOException {
        Path src = cacheDir.resolve(SELF_CHECK + ".src");
        Path sparse = cacheDir.resolve(SELF_CHECK + ".blob");
        ByteBuffer chunk = ByteBuffer.allocate(SELF_CHECK_READ);
        try (FileChannel out = FileChannel.open(src, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long pos = 0; pos < SELF_CHECK_SIZE; pos += SELF_CHECK_READ) {
                fillPattern(chunk.clear(), pos);
                out.write(chunk.flip(), pos);
            }
        }
        Files.deleteIfExists(sparse);
        DeferredTarget target = new DeferredTarget();
        ObjectHandle handle = open(ObjectKey.of(VOLUME, SELF_CHECK), target, src.toUri());
        SparseBlob blob = null;
        long events = frontend.stats().events();
        try {
            blob = SparseBlob.open(sparse, handle.size(), settings.unitSize());
            target.blob = blob;
            blob.attach(handle);
            blob.useWriter(Posix.open(sparse.toString(), Posix.O_RDWR | Posix.O_CLOEXEC)); // before the mark
            frontend.add(blob);
            group.markPreAccess(blob.path());
            CompletableFuture<String> reader = new CompletableFuture<>();
            Thread t = new Thread(() -> reader.complete(readBack(sparse)), "fanotify-self-check");
            t.setDaemon(true);
            t.start();
            String problem = reader.get(core.settings().readDeadline().toMillis() + 5000, TimeUnit.MILLISECONDS);
            if (problem != null) {
                throw new IOException("fanotify self-check in " + cacheDir + " failed: " + problem);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("fanotify self-check in " + cacheDir + " got no answer: are pre-content events"
                    + " delivered on this filesystem?", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during the fanotify self-check");
        } finally {
            if (blob != null) {
                try {
                    group.unmark(blob.path());
                } catch (IOException e) {
                    LOG.log(Level.DEBUG, "self-check unmark: " + e.getMessage());
                }
                frontend.remove(blob);
            }
            handle.close();
            Files.deleteIfExists(sparse);
            Files.deleteIfExists(FillRecord.of(sparse));
            Files.deleteIfExists(src);
        }
        LOG.log(Level.INFO, "fanotify self-check passed in " + cacheDir + " (" + (frontend.stats().events() - events)
                + " events)");
    }

    /** Reads {@code file} in small reads (one event each); returns null when every byte is right, else why not. */
    private static String readBack(Path file) {
        ByteBuffer got = ByteBuffer.allocate(SELF_CHECK_READ);
        ByteBuffer want = ByteBuffer.allocate(SELF_CHECK_READ);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            for (long pos = 0; pos < SELF_CHECK_SIZE; pos += SELF_CHECK_READ) {
                got.clear();
                while (got.hasRemaining() && in.read(got, pos + got.position()) > 0) {
                    continue;
                }
                fillPattern(want.clear(), pos);
                if (!got.flip().equals(want.flip())) {
                    return "wrong bytes read back at " + pos;
                }
            }
            return null;
        } catch (IOException e) {
            return "reading it back: " + e.getMessage();
        }
    }

    private static void fillPattern(ByteBuffer b, long pos) {
        while (b.hasRemaining()) {
            long i = pos + b.position();
            b.put((byte) (i * 31 + (i >>> 12)));
        }
    }

    /** Events the kernel denied because this process could not take their fd (EMFILE/ENFILE). */
    public long eventFdsRefused() {
        return frontend.eventFdsRefused();
    }

    public FanotifyStats stats() {
        return frontend.stats();
    }

    /**
     * Makes image {@code index} ready to mount: fetches the metadata image whole, checks its device table
     * against the configured blobs, opens each blob in the core and creates (or keeps) its sparse cache file.
     */
    public synchronized PreparedImage prepare(int index, ImageSpec spec) throws IOException {
        Path metaFile;
        String digest;
        try (Blob meta = fetchers.open(spec.meta())) {
            if (meta.size() > settings.maxMetaSize()) {
                throw new IOException("metadata image " + spec.meta() + " is " + meta.size() + " bytes, more than "
                        + settings.maxMetaSize() + "; raise the limit if it is right");
            }
            Path tmp = Files.createTempFile(cacheDir.resolve("meta"), "fetch", ".tmp");
            try {
                digest = copy(meta, tmp);
                if (Digests.contradicts(meta.digest(), HexFormat.of().parseHex(digest))) {
                    throw new FetchException("metadata image " + spec.meta() + " does not match its digest "
                            + meta.digest().orElseThrow() + " (got sha256:" + digest + "); nothing was mounted",
                            FetchException.EIO, false);
                }
                metaFile = cacheDir.resolve("meta").resolve(digest + ".erofs");
                Files.move(tmp, metaFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        ErofsSuperblock sb = readSuperblock(metaFile);
        Map<Integer, Integer> chunkSizes = settings.unitFromImage() ? chunkSizes(metaFile, spec) : Map.of();
        if (sb.devices().size() != spec.blobs().size()) {
            throw new IOException("metadata image " + spec.meta() + " lists " + sb.devices().size()
                    + " blob device(s) but the image config gives " + spec.blobs().size() + " blob URL(s)");
        }
        List<SparseBlob> blobs = new ArrayList<>();
        try {
            for (ErofsDevice device : sb.devices()) {
                blobs.add(openBlob(index, spec, sb, device, digest, chunkSizes.getOrDefault(device.slot(), 0)));
            }
        } catch (IOException | RuntimeException e) {
            for (SparseBlob b : blobs) {
                release(b);
            }
            throw e;
        }
        PreparedImage image = new PreparedImage(index, spec, metaFile, digest, blobs);
        prepared.add(image);
        LOG.log(Level.INFO, "image " + index + " (" + spec.meta() + ") prepared: " + blobs.size() + " blob(s), "
                + blobs.stream().mapToLong(SparseBlob::filledUnits).sum() + " unit(s) already filled; fill units "
                + blobs.stream().map(b -> b.unitSize() / 1024 + "KiB").toList() + (settings.unitFromImage()
                        ? " (the image's chunk sizes)" : " (configured)"));
        return image;
    }

    private SparseBlob openBlob(int index, ImageSpec spec, ErofsSuperblock sb, ErofsDevice device, String digest,
            int chunkSize) throws IOException {
        URI url = spec.blobs().get(device.slot() - 1);
        DeferredTarget target = new DeferredTarget();
        ObjectHandle handle = open(blobKey(index, device.slot()), target, url);
        try {
            long expected = sb.deviceBytes(device);
            if (expected >= 0 && handle.size() != expected) {
                throw new IOException("blob " + device.slot() + " at " + url + " is " + handle.size()
                        + " bytes but the device table says " + device.blocks() + " blocks of " + sb.blockSize()
                        + " = " + expected + " bytes");
            }
            if (handle.size() % sb.blockSize() != 0) {
                throw new IOException("blob " + device.slot() + " at " + url + " is " + handle.size()
                        + " bytes, not a whole number of " + sb.blockSize() + "-byte blocks");
            }
            String name = sha256Hex((digest + ":" + device.slot()).getBytes(StandardCharsets.US_ASCII)) + ".blob";
            int unit = settings.unitFor(chunkSize);
            SparseBlob blob = SparseBlob.open(cacheDir.resolve("blobs").resolve(name), handle.size(), unit);
            blob.fillAhead = settings.fillAheadFor(unit);
            target.blob = blob;
            blob.attach(handle);
            if (!blob.isComplete()) {
                // The writer before the mark: opened after it, its writes would raise events of their own.
                int writer = failover.writer(blob.path(), failover.adopted() && failover.isMarked(blob.id()));
                if (writer >= 0) {
                    blob.useWriter(writer);
                } else {
                    LOG.log(Level.WARNING, "blob " + blob.path().getFileName() + " is marked but its writer fd did"
                            + " not come back; writing through event fds (events left pending on it get EIO)");
                }
            }
            frontend.add(blob);
            if (!blob.isComplete()) {
                blob.onComplete(() -> unmarkComplete(blob));
                group.markPreAccess(blob.path());
            }
            return blob;
        } catch (IOException | RuntimeException e) {
            handle.close();
            throw e;
        }
    }

    /**
     * A blob filled whole needs no more events: its reads go straight to the cache file from now on (events
     * already queued are still answered, from the filled map).
     */
    private void unmarkComplete(SparseBlob blob) {
        try {
            group.unmark(blob.path());
            LOG.log(Level.INFO, "blob " + blob.path().getFileName() + " is complete; its reads no longer raise events");
        } catch (IOException e) {
            LOG.log(Level.WARNING, "unmarking complete blob " + blob.path() + ": " + e.getMessage());
        }
    }

    private ObjectHandle open(ObjectKey key, CacheTarget target, URI url) throws IOException {
        CompletableFuture<ObjectHandle> opened = new CompletableFuture<>();
        core.open(key, target, new OpenReply() {
            @Override
            public void opened(ObjectHandle handle) {
                if (!opened.complete(handle)) {
                    handle.close();
                }
            }

            @Override
            public void failed(int errno) {
                opened.completeExceptionally(new FetchException("opening blob " + url + " failed (errno " + errno
                        + ")", errno, false));
            }
        }, FanotifySettings.coreFetch(core.settings().fetch())); // this frontend widens and fills ahead itself
        try {
            // The core answers within its open deadline; the margin only guards against a lost answer.
            return opened.get(core.settings().openDeadline().toMillis() + 5000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (TimeoutException e) {
            opened.cancel(false);
            throw new IOException("opening blob " + url + " got no answer");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted opening blob " + url);
        }
    }

    /**
     * The chunk size each blob's chunk-based files use (slot → bytes); none when the metadata cannot be walked,
     * which only costs the configured unit, not the mount.
     */
    private static Map<Integer, Integer> chunkSizes(Path metaFile, ImageSpec spec) {
        try (FileChannel ch = FileChannel.open(metaFile, StandardOpenOption.READ)) {
            long size = ch.size();
            return ErofsChunks.chunkSizes((offset, dst) -> {
                while (dst.hasRemaining() && ch.read(dst, offset + dst.position()) > 0) {
                    // a FileChannel read may return short
                }
            }, size, head(ch, size));
        } catch (IOException e) {
            LOG.log(Level.WARNING, "metadata image " + spec.meta() + ": its chunk sizes could not be read ("
                    + e.getMessage() + "); its blobs are filled in the configured unit");
            return Map.of();
        }
    }

    /** The image's first block (its superblock), or all of a smaller image. */
    private static ByteBuffer head(FileChannel ch, long size) throws IOException {
        ByteBuffer head = ByteBuffer.allocate((int) Math.min(size, 4096));
        ch.read(head, 0);
        return head.flip();
    }

    private static ErofsSuperblock readSuperblock(Path metaFile) throws IOException {
        try (FileChannel ch = FileChannel.open(metaFile, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer head = head(ch, size);
            long needed = Math.min(size, ErofsSuperblock.bytesNeeded(head));
            if (needed > head.capacity()) {
                head = ByteBuffer.allocate((int) needed);
                ch.read(head, 0);
                head.flip();
            }
            return ErofsSuperblock.parse(head, size);
        }
    }

    /** Copies {@code blob} whole into {@code file}, synced; returns its sha256 in hex. */
    private static String copy(Blob blob, Path file) throws IOException {
        MessageDigest sha = sha256();
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(COPY_CHUNK, Math.max(1, blob.size())));
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long pos = 0; pos < blob.size(); ) {
                buf.clear().limit((int) Math.min(buf.capacity(), blob.size() - pos));
                blob.read(pos, buf);
                buf.flip();
                sha.update(buf.duplicate());
                while (buf.hasRemaining()) {
                    out.write(buf, pos + buf.position());
                }
                pos += buf.limit();
            }
            out.force(true);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    /**
     * Mounts a prepared image on its mountpoint.
     *
     * @throws IOException when the mountpoint is missing, not a directory, or already has something mounted
     */
    public synchronized void mount(PreparedImage image) throws IOException {
        Path target = image.spec().mountpoint();
        if (!Files.isDirectory(target)) {
            throw new IOException("mountpoint " + target + " does not exist or is not a directory: create it");
        }
        if (Mountinfo.isMountPoint(target)) {
            throw new IOException("mountpoint " + target + " is busy: something is already mounted there (umount it"
                    + " first)");
        }
        Set<String> before = erofsInstances();
        Mounts.mountErofs(image.metaFile(), target, image.mountOptions());
        mounted.add(image);
        LOG.log(Level.INFO, "mounted image " + image.index() + " on " + target);
        tuneReadahead(before, target);
    }

    /**
     * Mounts a prepared image, or, when a predecessor that died left it mounted from the same metadata image,
     * serves that mount again (its readers have been waiting on the group the holder kept).
     */
    public synchronized void mountOrAdopt(PreparedImage image) throws IOException {
        Path target = image.spec().mountpoint();
        if (failover.adopted() && Files.isDirectory(target)
                && Mountinfo.erofsSource(target).map(src -> src.equals(image.metaFile().toString())).orElse(false)) {
            mounted.add(image);
            LOG.log(Level.INFO, "image " + image.index() + " is still mounted on " + target + " from before the"
                    + " restart; serving it again");
            return;
        }
        mount(image);
    }

    /** The names of the mounted EROFS superblocks (/sys/fs/erofs/erofs-N, also the name of each one's bdi). */
    private static Set<String> erofsInstances() {
        try (var list = Files.list(EROFS_SYSFS)) {
            return list.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("erofs-"))
                    .collect(Collectors.toSet());
        } catch (IOException e) {
            return Set.of();
        }
    }

    /**
     * Sets the new mount's readahead to the fill unit, up to {@link FanotifySettings#MOUNT_READAHEAD_CAP_KB}: each
     * readahead batch of the mount reads the blob once and so costs one event round trip (the unit is fetched
     * whole either way, so the batches after a unit's first are answered at once). The mount's bdi is found as
     * the one EROFS instance that appeared with it; when another EROFS mount raced ours that is ambiguous, and the
     * kernel default stays.
     */
    private void tuneReadahead(Set<String> before, Path target) {
        int kb = settings.readaheadKb();
        if (kb <= 0) {
            return;
        }
        Set<String> added = new HashSet<>(erofsInstances());
        added.removeAll(before);
        if (added.size() != 1) {
            LOG.log(Level.INFO, "readahead of " + target + " left at the kernel default (its EROFS instance is"
                    + " ambiguous: " + added + ")");
            return;
        }
        Path knob = BDI_SYSFS.resolve(added.iterator().next()).resolve("read_ahead_kb");
        try {
            Files.writeString(knob, Integer.toString(kb));
        } catch (IOException e) {
            LOG.log(Level.INFO, "readahead of " + target + " left at the kernel default: " + knob + ": " + e);
        }
    }

    /**
     * Runs {@code action} with the cache files the prepared images use (their metadata images and blob cache
     * files); no image is prepared or released meanwhile, so a cache quota never evicts a file being taken up.
     */
    public synchronized void withCacheFilesInUse(Consumer<Set<Path>> action) {
        Set<Path> inUse = new HashSet<>();
        for (PreparedImage image : prepared) {
            inUse.add(image.metaFile().toAbsolutePath());
            for (SparseBlob b : image.blobs()) {
                inUse.add(b.path().toAbsolutePath());
            }
        }
        action.accept(inUse);
    }

    /** Whether every image mounted is still mounted (an operator may unmount one by hand). */
    public synchronized boolean allMounted() throws IOException {
        for (PreparedImage image : mounted) {
            if (!Mountinfo.isMountPoint(image.spec().mountpoint())) {
                return false;
            }
        }
        return !mounted.isEmpty();
    }

    /**
     * Unmounts every image this server mounted, retrying a busy one for up to the busy wait.
     *
     * @return true when all are unmounted
     */
    public synchronized boolean unmountAll() {
        boolean all = true;
        for (PreparedImage image : List.copyOf(mounted)) {
            Path target = image.spec().mountpoint();
            long deadline = System.nanoTime() + settings.busyUnmountWait().toNanos();
            while (true) {
                try {
                    if (Mountinfo.isMountPoint(target)) {
                        Mounts.umount(target, false);
                    }
                    mounted.remove(image);
                    LOG.log(Level.INFO, "unmounted image " + image.index() + " from " + target);
                    break;
                } catch (ErrnoException e) {
                    if (e.errno() == ErrnoException.EBUSY && System.nanoTime() < deadline) {
                        sleep();
                        continue;
                    }
                    LOG.log(Level.ERROR, e.getMessage());
                    all = false;
                    break;
                } catch (IOException e) {
                    LOG.log(Level.ERROR, "unmounting " + target + ": " + e.getMessage());
                    all = false;
                    break;
                }
            }
        }
        return all;
    }

    private static void sleep() {
        try {
            Thread.sleep(BUSY_RETRY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Unmounts the image this server mounted on {@code mountpoint} (an operator's runtime umount) and releases its
     * blobs in the core; their cache files stay, filled as they are.
     *
     * @return false when this server mounted nothing there
     * @throws ErrnoException when the mount is busy (not lazy) or cannot be unmounted
     */
    public synchronized boolean unmount(Path mountpoint, boolean lazy) throws IOException {
        PreparedImage image = mounted.stream().filter(i -> i.spec().mountpoint().equals(mountpoint)).findFirst()
                .orElse(null);
        if (image == null) {
            return false;
        }
        if (Mountinfo.isMountPoint(mountpoint)) {
            Mounts.umount(mountpoint, lazy);
        }
        mounted.remove(image);
        discard(image);
        LOG.log(Level.INFO, "unmounted image " + image.index() + " from " + mountpoint);
        return true;
    }

    /** Releases a prepared image that is not mounted (its mount failed, or it was unmounted). */
    public synchronized void discard(PreparedImage image) {
        if (mounted.contains(image)) {
            throw new IllegalStateException("image " + image.index() + " is still mounted");
        }
        if (prepared.remove(image)) {
            for (SparseBlob b : image.blobs()) {
                boolean shared = prepared.stream().anyMatch(p -> p.blobs().stream()
                        .anyMatch(other -> other.path().equals(b.path())));
                try {
                    if (!shared) {
                        group.unmark(b.path()); // no mount reads it any more; a later mount marks it again
                    }
                } catch (IOException e) {
                    LOG.log(Level.DEBUG, "unmark " + b.path() + ": " + e.getMessage());
                }
                release(b);
            }
        }
    }

    private void release(SparseBlob blob) {
        frontend.remove(blob);
        ObjectHandle h = blob.handle();
        if (h != null) {
            try {
                h.close();
            } catch (IllegalStateException e) {
                LOG.log(Level.DEBUG, "blob " + blob + " already released");
            }
        }
    }

    /** Whether a stop can leave pending events to a successor ({@link Failover#handsOver()}). */
    public boolean handsOver() {
        return failover.handsOver();
    }

    /** Stops reading events (a hand-over): images stay mounted, the group and every fd stay open. */
    void stopReading() {
        frontend.requestStop();
    }

    /** Waits for the event loop to end after {@link #stopReading()}; returns the events left pending in the journal. */
    int awaitStopped() {
        frontend.close();
        return frontend.journaled();
    }

    /**
     * Unmounts every image, then stops the event loop, releases the blobs in the core and closes the group.
     * When a mount stays busy the group is still closed (the process is ending either way) and the error says
     * which mount's readers may now see holes as zeros.
     */
    @Override
    public synchronized void close() throws IOException {
        boolean clean = unmountAll();
        if (!clean) {
            LOG.log(Level.ERROR, "releasing the fanotify group with image(s) still mounted: " + mounted.stream()
                    .map(i -> i.spec().mountpoint().toString()).toList() + "; unfilled reads there now see zeros");
        }
        frontend.close();
        for (PreparedImage image : prepared) {
            for (SparseBlob b : image.blobs()) {
                release(b);
            }
        }
        prepared.clear();
        failover.release();
        group.close();
    }

    /** The core's target for a blob, bound to its cache file once the blob's size is known. */
    private static final class DeferredTarget implements CacheTarget {
        volatile SparseBlob blob;

        @Override
        public void write(ByteBuffer src, long offset) throws IOException {
            SparseBlob b = blob;
            if (b == null) {
                throw new IOException("blob cache file not ready");
            }
            b.write(src, offset);
        }

        @Override
        public void close() throws IOException {
            SparseBlob b = blob;
            if (b != null) {
                b.close();
            }
        }
    }
}
