package dev.ondemandd.daemon.frontend.fanotify;

import dev.ondemandd.daemon.core.Core;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.ObjectKey;
import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.daemon.core.SourceRule;
import dev.ondemandd.fetchers.FetcherRegistry;
import dev.ondemandd.fetchers.file.FileFetcher;
import dev.ondemandd.protocol.nativeio.FanotifyGroup;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/** A core, a fanotify server and a fetch counter, wired as the daemon wires them, for tests. */
final class Served implements AutoCloseable {
    final LongAdder fetches = new LongAdder();
    final LongAdder fetchedBytes = new LongAdder();
    final Core core;
    final FanotifyServer server;

    Served(List<ImageSpec> images, Path cache, CoreSettings settings) throws IOException {
        this(images, cache, settings, FanotifySettings.defaults());
    }

    Served(List<ImageSpec> images, Path cache, CoreSettings settings, FanotifySettings fanotify) throws IOException {
        CoreListener counter = new CoreListener() {
            @Override
            public void onFetch(ObjectKey key, long offset, int length, int errno, long latencyNanos) {
                fetches.increment();
                fetchedBytes.add(length);
            }
        };
        FetcherRegistry fetchers = FetcherRegistry.of(new FileFetcher());
        List<SourceRule> rules = new ArrayList<>(FanotifyServer.sourceRules(images));
        rules.add(FanotifyServer.selfCheckRule(cache));
        core = new Core(settings, new SourceResolver(rules, fetchers), counter);
        server = new FanotifyServer(core, fetchers, FanotifyGroup.open(), cache, fanotify);
    }

    /** Prepares and mounts every image. */
    Served mountAll(List<ImageSpec> images) throws IOException {
        for (int i = 0; i < images.size(); i++) {
            server.mount(server.prepare(i, images.get(i)));
        }
        return this;
    }

    @Override
    public void close() throws IOException {
        try {
            server.close();
        } finally {
            core.close();
        }
    }
}
