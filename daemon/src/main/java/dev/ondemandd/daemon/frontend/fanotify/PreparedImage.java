package dev.ondemandd.daemon.frontend.fanotify;

import java.nio.file.Path;
import java.util.List;

/**
 * An image ready to mount: its metadata image complete in the cache directory, each blob's sparse cache file
 * created, opened in the core and marked.
 *
 * @param metaDigest sha256 of the metadata image, hex
 */
public record PreparedImage(int index, ImageSpec spec, Path metaFile, String metaDigest, List<SparseBlob> blobs) {
    public PreparedImage {
        blobs = List.copyOf(blobs);
    }

    /** The mount data naming each blob's cache file, in device-table order. */
    public String mountOptions() {
        StringBuilder out = new StringBuilder();
        for (SparseBlob b : blobs) {
            out.append(out.isEmpty() ? "" : ",").append("device=").append(b.path());
        }
        return out.toString();
    }
}
