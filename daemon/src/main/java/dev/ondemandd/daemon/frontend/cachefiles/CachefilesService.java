package dev.ondemandd.daemon.frontend.cachefiles;

import dev.ondemandd.daemon.cache.CullLimits;
import dev.ondemandd.daemon.core.Core;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.protocol.cachefiles.CachefilesCommands;
import dev.ondemandd.protocol.cachefiles.CachefilesDevice;
import java.io.IOException;
import java.lang.System.Logger.Level;

/**
 * A cachefiles device served by a core: bind, serve, and on {@link #close()} shut down in the order that
 * never leaves the kernel waiting — stop reading requests, let the core answer every READ and close every
 * anonymous fd, then close the device (the kernel unbinds once all of them are closed).
 */
public final class CachefilesService implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(CachefilesService.class.getName());

    private final CachefilesDevice device;
    private final Core core;
    private final CachefilesFrontend frontend;
    private boolean closed;

    public CachefilesService(CachefilesDevice device, CoreSettings settings, SourceResolver resolver,
            CoreListener listener) {
        this.device = device;
        this.core = new Core(settings, resolver, listener);
        this.frontend = new CachefilesFrontend(device, core);
    }

    /** Writes dir, tag and {@code bind ondemand}, then starts serving. */
    public void start(String dir, String tag) throws IOException {
        start(dir, tag, CullLimits.DEFAULTS);
    }

    /** As {@link #start(String, String)}, with the culling limits written before the bind. */
    public void start(String dir, String tag, CullLimits limits) throws IOException {
        frontend.bind(dir, tag, limits);
        frontend.start();
    }

    /**
     * Takes over a cache that a previous daemon bound, from its device fd (handed back by systemd's fd store):
     * writes {@code restore}, which makes the kernel hand out again every request still outstanding (those the
     * dead daemon had read and not answered too), then starts serving. In this order only: written after the read
     * loop has started, restore also re-marks the requests this daemon has just read, and the kernel hands an OPEN
     * out twice (seen on 6.12: the second read() fails with EEXIST, the kernel fails that OPEN, and the first
     * {@code copen} gets EINVAL).
     */
    public void resume() throws IOException {
        device.command(CachefilesCommands.RESTORE);
        frontend.start();
    }

    public Core core() {
        return core;
    }

    public CachefilesFrontend frontend() {
        return frontend;
    }

    /**
     * Stops for a successor that takes the device fd over (systemd's fd store or {@code ondemandd supervise} keeps a
     * duplicate, so the cache stays bound): stops reading requests, lets the fetches that are running finish (bounded
     * by the drain timeout) and answers nothing else. The kernel keeps every request this daemon read and did not
     * answer (unmarked in its request table); when this process exits its anonymous fds close, which marks their
     * objects closed, and the successor's {@code restore} hands the requests out again — a READ of a closed object
     * after a re-sent OPEN. The device fd and the anonymous fds are left to close with the process, after the last
     * write through them.
     */
    public synchronized Core.HandOver handOver() {
        closed = true;
        frontend.requestStop();
        Core.HandOver left = core.handOver();
        try {
            frontend.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return left;
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            frontend.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        core.close();
        device.close();
        LOG.log(Level.INFO, "cachefiles device closed; " + core.stats());
    }
}
