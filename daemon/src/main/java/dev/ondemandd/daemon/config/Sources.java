package dev.ondemandd.daemon.config;

import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.daemon.frontend.fanotify.ImageSpec;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import dev.ondemandd.fetchers.FetcherRegistry;
import dev.ondemandd.fetchers.RemoteFetchers;
import dev.ondemandd.fetchers.SourceOptions;
import dev.ondemandd.fetchers.decorators.FetchMetrics;
import dev.ondemandd.fetchers.oci.OciLocation;
import dev.ondemandd.fetchers.oci.OndemanddImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The fetchers a configuration's {@code sources} are served by, and the resolver over them. This is the one
 * place fetchers are created: a new fetcher (a URL scheme) is registered here.
 */
public final class Sources implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Sources.class.getName());
    private static final String OCI_PREFIX = "oci://";

    private final FetcherRegistry fetchers;
    private final SourceResolver resolver;
    private final List<RemoteFetchers.RemoteSource> remote;

    private Sources(FetcherRegistry fetchers, SourceResolver resolver, List<RemoteFetchers.RemoteSource> remote) {
        this.fetchers = fetchers;
        this.resolver = resolver;
        this.remote = List.copyOf(remote);
    }

    /** Creates the fetchers and checks every source's scheme against them. */
    public static Sources open(DaemonConfig config) throws ConfigException {
        return open(config, FetchMetrics.NONE);
    }

    /**
     * Creates the fetchers (local files, and the remote ones with each source's options, reporting to
     * {@code metrics}) and checks every source's scheme against them.
     */
    public static Sources open(DaemonConfig config, FetchMetrics metrics) throws ConfigException {
        List<SourceConfig> configured = config.sources() == null ? List.of() : config.sources();
        List<RemoteFetchers.RemoteSource> remote = new ArrayList<>();
        for (int i = 0; i < configured.size(); i++) {
            SourceConfig s = configured.get(i);
            if (s != null && s.url() != null) {
                remote.add(new RemoteFetchers.RemoteSource("sources[" + i + "]", s.url(), s.options("sources[" + i + "]")));
            }
        }
        List<Fetcher> all = new ArrayList<>(List.of(RemoteFetchers.localFiles(remote, metrics)));
        try {
            all.addAll(RemoteFetchers.forSources(remote, metrics));
        } catch (FetchException e) {
            throw new ConfigException("sources", e.getMessage(), e);
        }
        FetcherRegistry fetchers = FetcherRegistry.of(all);
        try {
            return new Sources(fetchers, config.resolver(fetchers), remote);
        } catch (ConfigException | RuntimeException e) {
            try {
                fetchers.close();
            } catch (IOException closeFailed) {
                e.addSuppressed(closeFailed);
            }
            throw e;
        }
    }

    public SourceResolver resolver() {
        return resolver;
    }

    /** The fetchers themselves, for what is fetched outside the resolver (the fanotify metadata images). */
    public FetcherRegistry fetchers() {
        return fetchers;
    }

    /**
     * The images with each OCI image reference resolved to its metadata image and data blobs
     * (docs/oci-layout.md). An image whose {@code meta} is an {@code oci://} URL and that lists no blobs names an
     * image ({@code oci://host[:port]/repository[:tag|@sha256:<manifest digest>]}); with blobs listed, {@code meta}
     * is a blob as any other URL. A reference is resolved with the options of the {@code oci://} source naming
     * its registry and repository (the longest match), so the blobs it yields are fetched through that source.
     *
     * @throws FetchException when an image cannot be resolved (unreachable, no such tag, not an ondemandd image)
     */
    public List<ImageSpec> resolveImages(List<ImageSpec> images) throws FetchException {
        List<ImageSpec> out = new ArrayList<>(images.size());
        for (ImageSpec spec : images) {
            if (!isImageReference(spec)) {
                out.add(spec);
                continue;
            }
            OndemanddImage image = OndemanddImage.resolve(spec.meta(), optionsFor(OciLocation.parse(spec.meta())));
            LOG.log(System.Logger.Level.INFO, "resolved " + spec.meta() + " to " + image.image().location()
                    + ": metadata " + image.metadata().digest() + " and " + image.blobs().size() + " data blob(s)");
            out.add(new ImageSpec(image.metadataLocation(), image.blobLocations(), spec.mountpoint()));
        }
        return out;
    }

    /** Whether {@code spec} names an OCI image to resolve rather than a metadata blob. */
    public static boolean isImageReference(ImageSpec spec) {
        return "oci".equalsIgnoreCase(spec.meta().getScheme()) && spec.blobs().isEmpty();
    }

    /** The options of the {@code oci://} source whose URL template covers {@code image}'s repository. */
    private SourceOptions optionsFor(OciLocation image) {
        SourceOptions best = SourceOptions.DEFAULTS;
        int bestLength = -1;
        for (RemoteFetchers.RemoteSource s : remote) {
            String template = s.urlTemplate();
            if (!template.regionMatches(true, 0, OCI_PREFIX, 0, OCI_PREFIX.length())) {
                continue;
            }
            String literal = template.substring(OCI_PREFIX.length());
            int brace = literal.indexOf('{');
            literal = brace < 0 ? literal : literal.substring(0, brace);
            int slash = literal.indexOf('/');
            String authority = slash < 0 ? literal : literal.substring(0, slash);
            String repository = slash < 0 ? "" : literal.substring(slash + 1).replaceAll("[@:/]+$", "");
            boolean covers = authority.equalsIgnoreCase(image.authority()) && (repository.isEmpty()
                    || image.repository().equals(repository) || image.repository().startsWith(repository + "/"));
            if (covers && literal.length() > bestLength) {
                best = s.options();
                bestLength = literal.length();
            }
        }
        return best;
    }

    @Override
    public void close() throws IOException {
        fetchers.close();
    }
}
