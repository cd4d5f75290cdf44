package dev.ondemandd.daemon.control;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ondemandd.daemon.config.Sources;
import dev.ondemandd.daemon.frontend.fanotify.FanotifyServer;
import dev.ondemandd.daemon.frontend.fanotify.ImageSpec;
import dev.ondemandd.daemon.frontend.fanotify.PreparedImage;
import dev.ondemandd.fetchers.FetchException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Runtime mounts for the fanotify frontend: an image reference is resolved with the configured sources' options,
 * the image's blobs get source rules under an index of their own, then the server prepares (metadata fetched
 * whole, blob cache files created and marked) and mounts it. Unmounting releases its blobs and rules.
 */
public final class FanotifyImages implements ImageMounter {

    /** One image this daemon mounted at runtime. */
    public record Image(String mountpoint, String meta, List<String> blobs, int index) {
    }

    private final FanotifyServer server;
    private final LiveSources sources;
    private final Set<Path> configured;
    private final Map<Path, Image> mounted = new LinkedHashMap<>();
    private int nextIndex;

    /**
     * @param configured the configuration's images, mounted at start with indexes 0..n-1
     */
    public FanotifyImages(FanotifyServer server, LiveSources sources, List<ImageSpec> configured) {
        this(server, sources, configured, List.of());
    }

    /**
     * @param restored runtime mounts of a previous worker ({@link #restore}), mounted at start after the configured
     *     images, with the indexes that follow theirs; they can be unmounted as any runtime mount
     */
    public FanotifyImages(FanotifyServer server, LiveSources sources, List<ImageSpec> configured,
            List<ImageSpec> restored) {
        this.server = server;
        this.sources = sources;
        this.configured = configured.stream().map(ImageSpec::mountpoint).collect(Collectors.toSet());
        this.nextIndex = configured.size();
        for (ImageSpec spec : restored) {
            int index = nextIndex++;
            mounted.put(spec.mountpoint(), new Image(spec.mountpoint().toString(), spec.meta().toString(),
                    spec.blobs().stream().map(URI::toString).toList(), index));
        }
    }

    /**
     * A persisted runtime mount as an image to serve at start, its reference resolved with the configured sources'
     * options; its source rules come with the configured images' own (their index follows theirs).
     *
     * @throws ControlException when it is not a fanotify mount, clashes with a configured image or cannot be resolved
     */
    public static ImageSpec restore(Sources configured, MountRequest request, List<ImageSpec> images)
            throws ControlException {
        if (request.fsid() != null || request.domainId() != null) {
            throw new ControlException("mount: fsid and domainId are cachefiles options; this daemon serves fanotify");
        }
        if (images.stream().anyMatch(i -> i.mountpoint().equals(request.mountpoint()))) {
            throw new ControlException("mount: " + request.mountpoint() + " is an image of the configuration now");
        }
        return resolve(configured, request);
    }

    /** The request as an image, its reference resolved with {@code sources}' options. */
    private static ImageSpec resolve(Sources sources, MountRequest request) throws ControlException {
        try {
            return sources.resolveImages(List.of(new ImageSpec(request.meta(), request.blobs(),
                    request.mountpoint()))).get(0);
        } catch (FetchException e) {
            throw new ControlException("mount: cannot resolve " + request.meta() + ": " + e.getMessage());
        }
    }

    @Override
    public synchronized JsonNode mount(MountRequest request) throws ControlException {
        if (request.fsid() != null || request.domainId() != null) {
            throw new ControlException("mount: fsid and domainId are cachefiles options; this daemon serves fanotify");
        }
        Path target = request.mountpoint();
        if (mounted.containsKey(target) || configured.contains(target)) {
            throw new ControlException("mount: " + target + " already has an image of this daemon; umount it first");
        }
        if (target.toString().contains(",")) {
            throw new ControlException("mount: a mountpoint with ',' cannot be given to the kernel");
        }
        CachefilesImages.checkMountpoint(target);
        ImageSpec spec = resolve(sources.sources(), request);
        int index = nextIndex++;
        String owner = target.toString();
        try {
            sources.add(owner, FanotifyServer.sourceRules(index, spec));
        } catch (IllegalArgumentException e) {
            throw new ControlException("mount: " + e.getMessage());
        }
        PreparedImage prepared = null;
        try {
            prepared = server.prepare(index, spec);
            server.mount(prepared);
        } catch (IOException | RuntimeException e) {
            if (prepared != null) {
                server.discard(prepared);
            }
            sources.remove(owner);
            throw new ControlException("mount: " + e.getMessage());
        }
        Image image = new Image(owner, spec.meta().toString(), spec.blobs().stream().map(URI::toString).toList(),
                index);
        mounted.put(target, image);
        return ControlProtocol.JSON.valueToTree(image);
    }

    @Override
    public synchronized void umount(Path mountpoint, boolean lazy) throws ControlException {
        if (configured.contains(mountpoint)) {
            throw new ControlException("umount: " + mountpoint + " is an image of the configuration; it stays mounted"
                    + " while the daemon runs (remove it from images and restart)");
        }
        if (!mounted.containsKey(mountpoint)) {
            throw new ControlException(NOT_MOUNTED_HERE + ": " + mountpoint);
        }
        try {
            server.unmount(mountpoint, lazy);
        } catch (IOException e) {
            throw new ControlException("umount: " + e.getMessage());
        }
        mounted.remove(mountpoint);
        sources.remove(mountpoint.toString());
    }

    @Override
    public synchronized List<Image> images() {
        return List.copyOf(mounted.values());
    }
}
