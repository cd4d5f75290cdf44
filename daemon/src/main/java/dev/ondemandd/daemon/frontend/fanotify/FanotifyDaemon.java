package dev.ondemandd.daemon.frontend.fanotify;

import dev.ondemandd.daemon.core.Core;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.daemon.core.SourceRule;
import dev.ondemandd.fetchers.FetcherRegistry;
import dev.ondemandd.protocol.nativeio.FanotifyGroup;
import dev.ondemandd.daemon.cache.CacheJanitor;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The fanotify side of a running daemon: a core whose sources include the images' blobs, a pre-content group
 * and a server that has mounted every image. {@link #close()} unmounts, drains the core, then releases the
 * group, in that order.
 */
public final class FanotifyDaemon implements AutoCloseable {
    /** How often the cache quota is enforced: fills grow the cache between passes. */
    static final Duration QUOTA_INTERVAL = Duration.ofSeconds(30);

    private final Core core;
    private final FanotifyServer server;
    private final CacheJanitor janitor;

    private FanotifyDaemon(Core core, FanotifyServer server, CacheJanitor janitor) {
        this.core = core;
        this.server = server;
        this.janitor = janitor;
    }

    /**
     * Prepares and mounts every image, in order.
     *
     * @param rules the configured sources, consulted after the images' own blob URLs
     * @throws IOException when the kernel lacks pre-content events, an image cannot be prepared or mounted;
     *     whatever was mounted is unmounted again
     */
    public static FanotifyDaemon start(List<ImageSpec> images, Path cacheDir, FetcherRegistry fetchers,
            List<SourceRule> rules, CoreSettings coreSettings, FanotifySettings settings, CoreListener listener)
            throws IOException {
        return start(images, cacheDir, fetchers, rules, coreSettings, settings, listener, FdHolder.none(), null);
    }

    /**
     * As above, keeping the fanotify group (with its journal and the blobs' writers) in {@code holder}, so that
     * a successor of this process takes them back: when the holder hands a group back at start, its images are
     * still mounted and what the predecessor left pending is answered before anything else.
     *
     * @param runtimeDir where the journal file is created (unlinked at once; the holder's fd keeps it)
     */
    public static FanotifyDaemon start(List<ImageSpec> images, Path cacheDir, FetcherRegistry fetchers,
            List<SourceRule> rules, CoreSettings coreSettings, FanotifySettings settings, CoreListener listener,
            FdHolder holder, Path runtimeDir) throws IOException {
        List<SourceRule> all = new ArrayList<>(ownRules(images, cacheDir));
        all.addAll(rules);
        return start(images, cacheDir, fetchers, new SourceResolver(all, fetchers), coreSettings, settings, listener,
                holder, runtimeDir);
    }

    /** The rules the daemon needs for itself: the images' blobs and the self-check; put them before configured ones. */
    public static List<SourceRule> ownRules(List<ImageSpec> images, Path cacheDir) {
        List<SourceRule> own = new ArrayList<>(FanotifyServer.sourceRules(images));
        own.add(FanotifyServer.selfCheckRule(cacheDir));
        return own;
    }

    /**
     * As above with a resolver of the caller's, which must hold {@link #ownRules} (one that changes while the
     * daemon serves: sources reloaded, images mounted at runtime).
     */
    public static FanotifyDaemon start(List<ImageSpec> images, Path cacheDir, FetcherRegistry fetchers,
            SourceResolver resolver, CoreSettings coreSettings, FanotifySettings settings, CoreListener listener)
            throws IOException {
        return start(images, cacheDir, fetchers, resolver, coreSettings, settings, listener, FdHolder.none(), null);
    }

    /** As above, with the fanotify group kept in {@code holder} (see the rules' variant). */
    public static FanotifyDaemon start(List<ImageSpec> images, Path cacheDir, FetcherRegistry fetchers,
            SourceResolver resolver, CoreSettings coreSettings, FanotifySettings settings, CoreListener listener,
            FdHolder holder, Path runtimeDir) throws IOException {
        Core core = new Core(coreSettings, resolver, FanotifyServer.hidingSelfCheck(listener));
        FanotifyServer server = null;
        try {
            Failover failover = holder.enabled() ? Failover.start(holder, runtimeDir)
                    : Failover.without(FanotifyGroup.open());
            server = new FanotifyServer(core, fetchers, failover, cacheDir, settings);
            if (!failover.adopted()) {
                server.selfCheck();
            }
            List<PreparedImage> ready = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                ready.add(server.prepare(i, images.get(i)));
            }
            server.startServing();
            for (PreparedImage image : ready) {
                server.mountOrAdopt(image);
            }
            CacheJanitor janitor = settings.cacheQuota() <= 0 ? null
                    : new CacheJanitor(cacheDir, settings.cacheQuota(), server::withCacheFilesInUse, Clock.systemUTC())
                            .start(QUOTA_INTERVAL);
            return new FanotifyDaemon(core, server, janitor);
        } catch (IOException | RuntimeException e) {
            try {
                if (server != null) {
                    server.close();
                }
            } catch (IOException closing) {
                e.addSuppressed(closing);
            } finally {
                core.close();
            }
            throw e;
        }
    }

    public FanotifyServer server() {
        return server;
    }

    public Core core() {
        return core;
    }

    /** Whether every image is still mounted (false once an operator unmounted one). */
    public boolean allMounted() throws IOException {
        return server.allMounted();
    }

    /** What a hand-over left for the successor: events pending in the journal, and the core's side. */
    public record HandOver(int eventsLeft, Core.HandOver core) {
    }

    /** Whether the fd holder keeps the group and its journal, so a stop can leave pending events to a successor. */
    public boolean handsOver() {
        return server.handsOver();
    }

    /**
     * Stops for a successor that takes the group over from the fd holder: stops reading events, lets the fills that
     * are running finish (bounded by the drain timeout: their events are answered) and answers no other event —
     * those stay pending in the group and in the journal, and the successor fills and allows them under the same fd
     * numbers before it reads anything. Images stay mounted; the group, the journal, the blobs' writers and every
     * event fd stay open until the process exits, so no fd is closed under a write.
     */
    public HandOver handOver() {
        if (janitor != null) {
            janitor.close();
        }
        server.stopReading();
        Core.HandOver core = this.core.handOver();
        return new HandOver(server.awaitStopped(), core);
    }

    @Override
    public void close() throws IOException {
        if (janitor != null) {
            janitor.close();
        }
        try {
            server.close();
        } finally {
            core.close();
        }
    }
}
