package dev.ondemandd.fetchers.oci;

import java.util.List;
import java.util.Map;

/**
 * An image reference resolved to its manifest.
 *
 * @param location the repository and the manifest's digest
 * @param artifactType the manifest's {@code artifactType}, or its config media type when absent
 * @param layers the manifest's layers, in order
 * @param annotations the manifest's annotations
 */
public record ResolvedImage(OciLocation location, String artifactType, List<Descriptor> layers,
        Map<String, String> annotations) {

    public ResolvedImage {
        layers = List.copyOf(layers);
        annotations = Map.copyOf(annotations);
    }

    public String manifestDigest() {
        return location.reference();
    }
}
