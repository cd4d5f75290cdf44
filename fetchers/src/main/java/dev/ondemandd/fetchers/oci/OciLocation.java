package dev.ondemandd.fetchers.oci;

import dev.ondemandd.fetchers.FetchException;
import java.net.URI;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where an OCI blob or image lives: {@code oci://host[:port]/repository[@sha256:<hex> | :tag]}.
 *
 * <p>A source's URL is {@code oci://host[:port]/repository}; the blob of a cache object is the one whose digest
 * is its cookie key, so the fetcher opens {@code oci://host[:port]/repository@sha256:<hex>}
 * ({@link #blob(URI, String)} builds it; a source template {@code oci://host/repository@{cookie}} gives the
 * same, the cookie's {@code :} percent-encoded). A bare 64-hex reference is read as a sha256 digest.
 *
 * @param authority {@code host} or {@code host:port}
 * @param repository the repository name, checked against the distribution spec's grammar
 * @param reference a digest ({@code sha256:<64 hex>}), a tag, or null when the URL names only the repository
 */
public record OciLocation(String authority, String repository, String reference) {

    /** The distribution spec's repository name grammar. */
    private static final Pattern REPOSITORY =
            Pattern.compile("[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
    private static final Pattern SHA256 = Pattern.compile("sha256:[a-f0-9]{64}");
    private static final Pattern BARE_HEX = Pattern.compile("[a-f0-9]{64}");
    /** Longer names are refused before any pattern runs on them. */
    private static final int MAX_NAME = 255;

    /** Parses an {@code oci://} URL. */
    public static OciLocation parse(URI uri) throws FetchException {
        if (uri.getScheme() == null || !uri.getScheme().toLowerCase(Locale.ROOT).equals("oci")
                || uri.getRawAuthority() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null
                || uri.getRawFragment() != null || uri.getHost() == null) {
            throw invalid(uri, "want oci://host[:port]/repository[@sha256:<hex>|:tag]");
        }
        String path = uri.getPath();
        if (path == null || path.length() < 2 || path.length() > MAX_NAME + 80) {
            throw invalid(uri, "no repository");
        }
        String name = path.substring(1);
        String reference = null;
        int at = name.indexOf('@');
        if (at >= 0) {
            reference = name.substring(at + 1);
            name = name.substring(0, at);
            if (BARE_HEX.matcher(reference).matches()) {
                // A cookie key that is an EROFS device tag: the digest's hex without its prefix.
                reference = "sha256:" + reference;
            }
            if (!SHA256.matcher(reference).matches()) {
                throw invalid(uri, "a digest must be sha256:<64 lower-case hex>");
            }
        } else {
            int colon = name.lastIndexOf(':');
            if (colon > name.lastIndexOf('/')) {
                reference = name.substring(colon + 1);
                name = name.substring(0, colon);
                if (!TAG.matcher(reference).matches()) {
                    throw invalid(uri, "bad tag");
                }
            }
        }
        if (name.length() > MAX_NAME || !REPOSITORY.matcher(name).matches()) {
            throw invalid(uri, "bad repository name");
        }
        return new OciLocation(uri.getRawAuthority(), name, reference);
    }

    /**
     * The blob URL of a source URL and a cookie key: {@code sha256:<hex>}, or the bare 64 hex digits an EROFS
     * device tag holds (its 64 bytes cannot fit the prefix too).
     */
    public static URI blob(URI source, String key) throws FetchException {
        String digest = key.length() == 64 ? "sha256:" + key : key;
        OciLocation base = parse(source);
        if (base.reference != null) {
            throw invalid(source, "a source URL names a repository, not a reference");
        }
        if (!SHA256.matcher(digest).matches()) {
            throw new FetchException("key " + digest + " is not a sha256:<hex> digest", FetchException.ENOENT, false);
        }
        return URI.create("oci://" + base.authority + "/" + base.repository + "@" + digest);
    }

    /** Whether the reference is a digest (content-addressed) rather than a tag. */
    public boolean byDigest() {
        return reference != null && SHA256.matcher(reference).matches();
    }

    /** The registry's base URL: {@code http(s)://authority}. */
    public URI registry(boolean plainHttp) {
        return URI.create((plainHttp ? "http" : "https") + "://" + authority);
    }

    /**
     * The same repository and reference on a mirror {@code oci://host[:port][/prefix]}; a prefix is put in front
     * of the repository name.
     */
    public OciLocation on(URI mirror) throws FetchException {
        String prefix = mirror.getPath() == null ? "" : mirror.getPath().replaceAll("^/+|/+$", "");
        String repo = prefix.isEmpty() ? repository : prefix + "/" + repository;
        OciLocation m = parse(URI.create("oci://" + mirror.getRawAuthority() + "/" + repo));
        return new OciLocation(m.authority, m.repository, reference);
    }

    @Override
    public String toString() {
        return "oci://" + authority + "/" + repository + (reference == null ? "" : (byDigest() ? "@" : ":") + reference);
    }

    private static FetchException invalid(URI uri, String why) {
        return new FetchException("bad OCI URL " + uri + ": " + why, FetchException.EINVAL, false);
    }
}
