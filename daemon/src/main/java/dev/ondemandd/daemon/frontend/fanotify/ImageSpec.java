package dev.ondemandd.daemon.frontend.fanotify;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * One image to serve: its metadata image (fetched whole before the mount), its data blobs in device-table
 * order (slot 1, 2, …; filled lazily), and where to mount it.
 */
public record ImageSpec(URI meta, List<URI> blobs, Path mountpoint) {
    public ImageSpec {
        blobs = List.copyOf(blobs);
    }
}
