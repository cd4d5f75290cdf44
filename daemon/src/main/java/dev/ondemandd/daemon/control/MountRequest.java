package dev.ondemandd.daemon.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A {@code mount} request of the control socket:
 * {@code {"cmd": "mount", "meta": URL, "blobs": [URL, ...], "mountpoint": "/abs/dir", "fsid": ID, "domainId": ID}}.
 * {@code blobs} lists the data blobs in device-table order; {@code fsid} and {@code domainId} are the cachefiles
 * frontend's ({@code -o fsid=, domain_id=}; optional). Everything is checked here, before anything is touched.
 *
 * @param fsid     the image's fsid, null to derive one from {@code meta}
 * @param domainId the domain whose mounts share blobs, null for none
 */
public record MountRequest(URI meta, List<URI> blobs, Path mountpoint, String fsid, String domainId) {

    /** More blobs than this is no image anyone builds (EROFS images list a handful of layers). */
    public static final int MAX_BLOBS = 256;
    /** An fsid or domain_id: a name that is safe as a cookie key, a mount option and a file name. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Set<String> KEYS = Set.of("cmd", "meta", "blobs", "mountpoint", "fsid", "domainId");

    public MountRequest {
        blobs = List.copyOf(blobs);
    }

    /**
     * Parses and checks a request.
     *
     * @throws ControlException naming the key at fault
     */
    public static MountRequest parse(ObjectNode request) throws ControlException {
        for (Iterator<String> it = request.fieldNames(); it.hasNext();) {
            String key = it.next();
            if (!KEYS.contains(key)) {
                throw new ControlException("mount: unknown key '" + key + "' (known: meta, blobs, mountpoint, fsid,"
                        + " domainId)");
            }
        }
        URI meta = url("meta", request.get("meta"));
        List<URI> blobs = new ArrayList<>();
        JsonNode list = request.get("blobs");
        if (list != null && !list.isNull()) {
            if (!list.isArray() || list.size() > MAX_BLOBS) {
                throw new ControlException("mount: blobs must be a list of at most " + MAX_BLOBS + " URLs");
            }
            for (int i = 0; i < list.size(); i++) {
                blobs.add(url("blobs[" + i + "]", list.get(i)));
            }
        }
        return new MountRequest(meta, blobs, mountpoint(request.get("mountpoint")), name("fsid", request.get("fsid")),
                name("domainId", request.get("domainId")));
    }

    /** The request line for this mount. */
    public ObjectNode toRequest() {
        ObjectNode request = ControlProtocol.request("mount");
        request.put("meta", meta.toString());
        var list = request.putArray("blobs");
        blobs.forEach(b -> list.add(b.toString()));
        request.put("mountpoint", mountpoint.toString());
        if (fsid != null) {
            request.put("fsid", fsid);
        }
        if (domainId != null) {
            request.put("domainId", domainId);
        }
        return request;
    }

    private static URI url(String key, JsonNode node) throws ControlException {
        if (node == null || !node.isTextual() || node.asText().isEmpty()) {
            throw new ControlException("mount: " + key + " must be a URL string like \"file:///srv/app/meta.erofs\"");
        }
        try {
            URI uri = new URI(node.asText());
            if (uri.getScheme() == null) {
                throw new ControlException("mount: " + key + " has no scheme: " + node.asText());
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ControlException("mount: " + key + " is not a URL: " + e.getMessage());
        }
    }

    static Path mountpoint(JsonNode node) throws ControlException {
        if (node == null || !node.isTextual() || !node.asText().startsWith("/") || node.asText().indexOf('\0') >= 0) {
            throw new ControlException("mountpoint must be an absolute path string");
        }
        return Path.of(node.asText()).normalize();
    }

    private static String name(String key, JsonNode node) throws ControlException {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual() || !NAME.matcher(node.asText()).matches()) {
            throw new ControlException("mount: " + key + " must be 1-64 letters, digits, '.', '_' or '-' (starting"
                    + " with a letter or digit)");
        }
        return node.asText();
    }
}
