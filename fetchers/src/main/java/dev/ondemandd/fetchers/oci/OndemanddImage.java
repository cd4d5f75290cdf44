package dev.ondemandd.fetchers.oci;

import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.SourceOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * The image layout ondemandd pulls (docs/oci-layout.md): an OCI image manifest whose layers are one EROFS
 * metadata image and its data blobs, told apart by media type; each data blob names the device-table tag the
 * metadata image gives it.
 *
 * @param image the resolved manifest
 * @param metadata the EROFS metadata image (the primary device)
 * @param blobs the data blobs (extra devices), in device-table order
 */
public record OndemanddImage(ResolvedImage image, Descriptor metadata, List<Blob> blobs) {

    public static final String ARTIFACT_TYPE = "application/vnd.ondemandd.image.v1";
    public static final String METADATA_MEDIA_TYPE = "application/vnd.ondemandd.erofs.metadata.v1";
    public static final String BLOB_MEDIA_TYPE = "application/vnd.ondemandd.erofs.blob.v1";
    /** On a data blob: its 1-based slot in the metadata image's device table. */
    public static final String DEVICE_INDEX = "dev.ondemandd.erofs.device-index";
    /** On a data blob: the tag of its device slot (what fscache names its cookie by). */
    public static final String DEVICE_TAG = "dev.ondemandd.erofs.device-tag";

    /** A data blob and where it sits in the device table. */
    public record Blob(Descriptor descriptor, int deviceIndex, String deviceTag) {
    }

    public OndemanddImage {
        blobs = List.copyOf(blobs);
    }

    /** Checks a resolved image against the layout. */
    public static OndemanddImage of(ResolvedImage image) throws FetchException {
        Descriptor metadata = null;
        List<Blob> blobs = new ArrayList<>();
        for (Descriptor d : image.layers()) {
            if (d.mediaType().equals(METADATA_MEDIA_TYPE)) {
                if (metadata != null) {
                    throw bad(image, "more than one " + METADATA_MEDIA_TYPE + " layer");
                }
                metadata = d;
            } else if (d.mediaType().equals(BLOB_MEDIA_TYPE)) {
                int index;
                try {
                    index = Integer.parseInt(d.annotations().getOrDefault(DEVICE_INDEX, ""));
                } catch (NumberFormatException e) {
                    throw bad(image, "data blob " + d.digest() + " without a numeric " + DEVICE_INDEX);
                }
                if (index != blobs.size() + 1) {
                    throw bad(image, "data blob " + d.digest() + " has device index " + index + ", expected "
                            + (blobs.size() + 1));
                }
                blobs.add(new Blob(d, index, d.annotations().getOrDefault(DEVICE_TAG, "")));
            }
        }
        if (metadata == null) {
            throw bad(image, "no " + METADATA_MEDIA_TYPE + " layer; not an ondemandd image");
        }
        return new OndemanddImage(image, metadata, blobs);
    }

    /**
     * Resolves an image reference ({@code oci://host[:port]/repository[:tag|@sha256:<hex>]}, tag {@code latest}
     * when none) with a source's options (plain HTTP, credentials, mirrors, CA) and checks it against the layout.
     */
    public static OndemanddImage resolve(URI reference, SourceOptions options) throws FetchException {
        try (OciFetcher fetcher = new OciFetcher(options)) {
            return of(new ImageResolver(fetcher).resolve(reference));
        }
    }

    /** Where the metadata image is fetched from: {@code oci://host/repository@<digest>} on the image's registry. */
    public URI metadataLocation() {
        return locate(metadata);
    }

    /** Where each data blob is fetched from, in device-table order. */
    public List<URI> blobLocations() {
        return blobs.stream().map(b -> locate(b.descriptor())).toList();
    }

    private URI locate(Descriptor d) {
        OciLocation at = image.location();
        return URI.create("oci://" + at.authority() + "/" + at.repository() + "@" + d.digest());
    }

    private static FetchException bad(ResolvedImage image, String why) {
        return new FetchException(image.location() + ": " + why, FetchException.EINVAL, false);
    }
}
