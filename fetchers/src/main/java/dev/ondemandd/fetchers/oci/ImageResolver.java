package dev.ondemandd.fetchers.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.http.CappedBody;
import dev.ondemandd.fetchers.http.HttpTransport;
import java.io.IOException;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Resolves an image reference ({@code oci://host/repo:tag} or {@code ...@sha256:<hex>}) to its manifest and
 * layers, through the same mirrors, credentials and tokens as the blob fetches. An index is followed to the
 * manifest for this machine's architecture (or its first manifest). Manifests fetched by digest are checked
 * against it.
 */
public final class ImageResolver {

    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    /** The registry answers 404 to OCI manifests unless asked for them by media type. */
    private static final String ACCEPT = String.join(", ", OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST);
    /** Manifests larger than this are refused (distribution's own limit is 4 MiB). */
    static final int MAX_MANIFEST = 4 * 1024 * 1024;
    /** Layers in a manifest at most; more is not an image ondemandd builds. */
    static final int MAX_LAYERS = 4096;
    private static final int MAX_INDEX_HOPS = 2;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final OciFetcher fetcher;

    public ImageResolver(OciFetcher fetcher) {
        this.fetcher = fetcher;
    }

    public ResolvedImage resolve(URI reference) throws FetchException {
        OciLocation location = OciLocation.parse(reference);
        if (location.reference() == null) {
            location = new OciLocation(location.authority(), location.repository(), "latest");
        }
        for (int hop = 0; hop <= MAX_INDEX_HOPS; hop++) {
            Fetched m = fetch(location);
            JsonNode json = m.json;
            String mediaType = text(json, "mediaType", m.contentType);
            if (mediaType.equals(OCI_INDEX) || mediaType.equals(DOCKER_LIST)) {
                location = new OciLocation(location.authority(), location.repository(), pick(json.get("manifests")));
                continue;
            }
            if (!mediaType.equals(OCI_MANIFEST) && !mediaType.equals(DOCKER_MANIFEST)) {
                throw bad(location, "unsupported manifest media type " + mediaType);
            }
            JsonNode layers = json.get("layers");
            if (layers == null || !layers.isArray() || layers.size() > MAX_LAYERS) {
                throw bad(location, "no layers array of at most " + MAX_LAYERS);
            }
            List<Descriptor> list = new ArrayList<>();
            for (JsonNode layer : layers) {
                list.add(descriptor(layer, location));
            }
            JsonNode config = json.get("config");
            String artifactType = text(json, "artifactType",
                    config == null ? "" : text(config, "mediaType", ""));
            return new ResolvedImage(new OciLocation(location.authority(), location.repository(), m.digest),
                    artifactType, list, annotations(json.get("annotations")));
        }
        throw bad(location, "index nested deeper than " + MAX_INDEX_HOPS);
    }

    private record Fetched(JsonNode json, String digest, String contentType) {
    }

    private Fetched fetch(OciLocation location) throws FetchException {
        FetchException last = null;
        for (OciFetcher.Endpoint ep : fetcher.endpoints(location, "manifests")) {
            try {
                HttpTransport.Exchange<byte[]> got = fetcher.transport().exchange("GET", ep.blobUri(),
                        Map.of("Accept", ACCEPT), ep.auth(), CappedBody.handler(MAX_MANIFEST));
                String what = "manifest " + ep.location();
                if (got.status() != 200) {
                    throw HttpTransport.statusError(what, got.status());
                }
                byte[] body = got.response().body();
                String digest = "sha256:" + HexFormat.of().formatHex(sha256(body));
                if (location.byDigest() && !digest.equals(location.reference())) {
                    throw new FetchException(what + ": content has digest " + digest, FetchException.EIO, true);
                }
                String contentType = got.response().headers().firstValue("Content-Type").orElse("")
                        .split(";")[0].trim().toLowerCase(Locale.ROOT);
                return new Fetched(JSON.readTree(body), digest, contentType);
            } catch (IOException e) {
                last = e instanceof FetchException fe ? fe : bad(location, "manifest is not JSON");
            }
        }
        throw last;
    }

    private String pick(JsonNode manifests) throws FetchException {
        if (manifests == null || !manifests.isArray() || manifests.isEmpty()) {
            throw new FetchException("image index lists no manifests", FetchException.ENOENT, false);
        }
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            default -> System.getProperty("os.arch");
        };
        JsonNode chosen = manifests.get(0);
        for (JsonNode m : manifests) {
            JsonNode platform = m.get("platform");
            if (platform != null && arch.equals(text(platform, "architecture", ""))) {
                chosen = m;
                break;
            }
        }
        String digest = text(chosen, "digest", "");
        if (!digest.matches("sha256:[a-f0-9]{64}")) {
            throw new FetchException("image index entry without a sha256 digest", FetchException.EIO, false);
        }
        return digest;
    }

    private static Descriptor descriptor(JsonNode n, OciLocation where) throws FetchException {
        String digest = text(n, "digest", "");
        JsonNode size = n.get("size");
        if (!digest.matches("sha256:[a-f0-9]{64}") || size == null || !size.canConvertToLong() || size.asLong() < 0) {
            throw bad(where, "layer without a sha256 digest and a size");
        }
        return new Descriptor(text(n, "mediaType", ""), digest, size.asLong(), annotations(n.get("annotations")));
    }

    private static Map<String, String> annotations(JsonNode n) {
        Map<String, String> map = new HashMap<>();
        if (n != null && n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue().isTextual()) {
                    map.put(e.getKey(), e.getValue().asText());
                }
            }
        }
        return map;
    }

    private static String text(JsonNode n, String field, String fallback) {
        JsonNode v = n == null ? null : n.get(field);
        return v != null && v.isTextual() ? v.asText() : fallback;
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static FetchException bad(OciLocation where, String why) {
        return new FetchException(where + ": " + why, FetchException.EIO, false);
    }
}
