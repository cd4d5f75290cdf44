package dev.ondemandd.daemon.config;

import dev.ondemandd.daemon.frontend.fanotify.ImageSpec;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One entry of {@code images}: an EROFS image the fanotify frontend mounts once it is ready to serve.
 *
 * @param meta URL of the metadata image, fetched whole before the mount (any scheme a fetcher serves); with no
 *     {@code blobs}, an {@code oci://} URL is an image reference resolved to both ({@link Sources#resolveImages})
 * @param blobs URLs of the data blobs in device-table order (slot 1, 2, …), filled lazily
 * @param mountpoint an existing directory
 */
public record ImageConfig(String meta, List<String> blobs, String mountpoint) {

    public ImageConfig {
        blobs = blobs == null ? List.of() : List.copyOf(blobs);
    }

    /** The image as the frontend takes it; {@code path} is its JSON path for errors ({@code images[0]}). */
    ImageSpec toSpec(String path) throws ConfigException {
        URI metaUrl = url(path + ".meta", meta);
        List<URI> blobUrls = new ArrayList<>();
        for (int i = 0; i < blobs.size(); i++) {
            blobUrls.add(url(path + ".blobs[" + i + "]", blobs.get(i)));
        }
        if (mountpoint == null || mountpoint.isBlank()) {
            throw new ConfigException(path + ".mountpoint", "required, an absolute directory path like \"/mnt/app\"");
        }
        Path dir = Path.of(mountpoint);
        if (!dir.isAbsolute()) {
            throw new ConfigException(path + ".mountpoint", "must be an absolute path, not \"" + mountpoint + "\"");
        }
        return new ImageSpec(metaUrl, blobUrls, dir.normalize());
    }

    private static URI url(String path, String text) throws ConfigException {
        if (text == null || text.isBlank()) {
            throw new ConfigException(path, "required, a URL like \"file:///srv/app/meta.erofs\"");
        }
        try {
            URI uri = new URI(text);
            if (uri.getScheme() == null) {
                throw new ConfigException(path, "has no scheme: write file://" + (text.startsWith("/") ? "" : "/")
                        + text + " for a local file");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ConfigException(path, "not a URL: " + e.getMessage());
        }
    }
}
