package dev.ondemandd.fetchers.oci;

import java.util.Map;

/**
 * An OCI content descriptor: what a manifest says of one blob.
 *
 * @param mediaType the blob's media type
 * @param digest {@code sha256:<hex>}
 * @param size bytes
 * @param annotations string annotations, possibly empty
 */
public record Descriptor(String mediaType, String digest, long size, Map<String, String> annotations) {

    public Descriptor {
        annotations = Map.copyOf(annotations);
    }

    public String annotation(String key) {
        return annotations.get(key);
    }
}
