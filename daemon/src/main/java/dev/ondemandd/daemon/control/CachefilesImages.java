package dev.ondemandd.daemon.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ondemandd.daemon.core.SourceRule;
import dev.ondemandd.daemon.frontend.fanotify.Mountinfo;
import dev.ondemandd.protocol.nativeio.ErrnoException;
import dev.ondemandd.protocol.nativeio.Mounts;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runtime mounts for the cachefiles frontend. Mounting an image registers a source for each of its cookies —
 * the image itself under its fsid, each blob under the {@code device=} name given to the kernel — in the volume
 * EROFS will ask for ({@code erofs,<domain_id>}, or {@code erofs,<fsid>} without a domain), then mounts
 * {@code -t erofs -o fsid=<fsid>[,domain_id=<d>],device=<name>,...}: the kernel's OPENs for those cookies reach
 * this daemon while mount(2) runs and resolve to the image's URLs. Unmounting removes the sources again
 * (the kernel has sent its CLOSEs or sends them; open objects keep their blobs).
 *
 * <p>Names are derived from the URLs: the fsid from the metadata image's (so the cache of an image is found
 * again on the next mount), each blob's name from its own URL (so mounts in one domain share a blob they have in
 * common, as EROFS shares it).
 */
public final class CachefilesImages implements ImageMounter {

    private static final System.Logger LOG = System.getLogger(CachefilesImages.class.getName());
    private static final int NAME_HEX = 16;

    /** One image this daemon mounted. */
    public record Image(String mountpoint, String meta, List<String> blobs, String fsid, String domainId) {
    }

    private final LiveSources sources;
    private final Map<Path, Image> mounted = new LinkedHashMap<>();

    public CachefilesImages(LiveSources sources) {
        this.sources = sources;
    }

    /** The fsid an image gets when the request names none. */
    static String defaultFsid(URI meta) {
        return "img-" + hash(meta);
    }

    /** The {@code device=} name (cookie) of a blob. */
    static String blobName(URI blob) {
        return "blob-" + hash(blob);
    }

    /** An image's source rules (registered) and its {@code -o} options. */
    private record Registration(String options, List<String> devices) {
    }

    @Override
    public synchronized JsonNode mount(MountRequest request) throws ControlException {
        Path target = request.mountpoint();
        if (mounted.containsKey(target)) {
            throw new ControlException("mount: " + target + " already has an image of this daemon; umount it first");
        }
        checkMountpoint(target);
        Registration registered = register(request);
        try {
            Mounts.mountErofsOnDemand(target, registered.options());
        } catch (ErrnoException e) {
            sources.remove(target.toString());
            // the kernel reports a failed OPEN of the image or a blob as EIO (or ENOENT, EINVAL): the log says which
            throw new ControlException("mount: " + e.getMessage() + (e.errno() == ErrnoException.EBUSY ? ""
                    : " (the daemon's log says which OPEN failed, if one did)"));
        }
        Image image = remember(request);
        LOG.log(System.Logger.Level.INFO, "mounted " + request.meta() + " on " + target + " (-o " + registered.options()
                + ")");
        ObjectNode result = ControlProtocol.JSON.valueToTree(image);
        result.put("options", registered.options());
        result.putArray("devices").addAll(registered.devices().stream()
                .map(ControlProtocol.JSON.getNodeFactory()::textNode).toList());
        return result;
    }

    /**
     * Takes back an image a previous daemon mounted at runtime and that is still mounted (the kernel's fd came back
     * from the fd holder): its sources are registered again, before {@code restore}, so the OPENs the kernel re-sends
     * for its cookies find them. False, with nothing done, when nothing is mounted there any more (the caller mounts
     * it anew once serving).
     *
     * @throws ControlException when its fsid clashes with an image taken back before
     */
    public synchronized boolean adopt(MountRequest request) throws ControlException {
        Path target = request.mountpoint();
        try {
            if (mounted.containsKey(target) || !Mountinfo.isMountPoint(target)) {
                return false;
            }
        } catch (IOException e) {
            throw new ControlException("mount: cannot check " + target + ": " + e.getMessage());
        }
        Registration registered = register(request);
        remember(request);
        LOG.log(System.Logger.Level.INFO, "took back runtime mount " + request.meta() + " on " + target + " (-o "
                + registered.options() + ")");
        return true;
    }

    /** Checks the request's fsid against the mounted images and registers a rule for each of its cookies. */
    private Registration register(MountRequest request) throws ControlException {
        String fsid = fsid(request);
        String volume = "erofs," + (request.domainId() != null ? request.domainId() : fsid);
        for (Image other : mounted.values()) {
            if (other.fsid().equals(fsid) && java.util.Objects.equals(other.domainId(), request.domainId())) {
                throw new ControlException("mount: fsid " + fsid + " is already mounted on " + other.mountpoint()
                        + "; give this mount another fsid");
            }
        }
        List<SourceRule> rules = new ArrayList<>();
        StringBuilder options = new StringBuilder("fsid=").append(fsid);
        if (request.domainId() != null) {
            options.append(",domain_id=").append(request.domainId());
        }
        List<String> names = new ArrayList<>();
        try {
            rules.add(SourceRule.of(volume, fsid, request.meta().toString()));
            for (URI blob : request.blobs()) {
                String name = blobName(blob);
                names.add(name);
                rules.add(SourceRule.of(volume, name, blob.toString()));
                options.append(",device=").append(name);
            }
            sources.add(request.mountpoint().toString(), rules);
        } catch (IllegalArgumentException e) {
            throw new ControlException("mount: " + e.getMessage());
        }
        return new Registration(options.toString(), names);
    }

    private static String fsid(MountRequest request) {
        return request.fsid() != null ? request.fsid() : defaultFsid(request.meta());
    }

    private Image remember(MountRequest request) {
        Image image = new Image(request.mountpoint().toString(), request.meta().toString(),
                request.blobs().stream().map(URI::toString).toList(), fsid(request), request.domainId());
        mounted.put(request.mountpoint(), image);
        return image;
    }

    static void checkMountpoint(Path target) throws ControlException {
        if (!Files.isDirectory(target)) {
            throw new ControlException("mount: mountpoint " + target + " does not exist or is not a directory: create it");
        }
        try {
            if (Mountinfo.isMountPoint(target)) {
                throw new ControlException("mount: " + target + " is busy: something is already mounted there");
            }
        } catch (IOException e) {
            throw new ControlException("mount: cannot check " + target + ": " + e.getMessage());
        }
    }

    @Override
    public synchronized void umount(Path mountpoint, boolean lazy) throws ControlException {
        Image image = mounted.get(mountpoint);
        if (image == null) {
            throw new ControlException(NOT_MOUNTED_HERE + ": " + mountpoint);
        }
        try {
            Mounts.umount(mountpoint, lazy);
        } catch (ErrnoException e) {
            if (e.errno() != ErrnoException.EINVAL) { // EINVAL: someone unmounted it already; forget it
                throw new ControlException("umount: " + e.getMessage());
            }
        }
        mounted.remove(mountpoint);
        sources.remove(mountpoint.toString());
        LOG.log(System.Logger.Level.INFO, "unmounted " + image.meta() + " from " + mountpoint);
    }

    @Override
    public synchronized List<Image> images() {
        return List.copyOf(mounted.values());
    }

    private static String hash(URI url) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(url.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, NAME_HEX);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
