package dev.ondemandd.fetchers.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Pushes blobs and manifests to a registry over plain HTTP, as the distribution spec's monolithic upload. */
public final class OciPush {

    private OciPush() {
    }

    public static String digest(byte[] content) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** POST an upload, PUT the content with its digest; returns the digest. */
    public static String blob(URI registry, String repository, byte[] content) throws IOException, InterruptedException {
        String digest = digest(content);
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<Void> started = client.send(HttpRequest.newBuilder(
                    registry.resolve("/v2/" + repository + "/blobs/uploads/")).POST(HttpRequest.BodyPublishers.noBody())
                    .build(), HttpResponse.BodyHandlers.discarding());
            check(started, 202);
            URI location = registry.resolve(started.headers().firstValue("Location").orElseThrow());
            String sep = location.getRawQuery() == null ? "?" : "&";
            HttpResponse<Void> done = client.send(HttpRequest.newBuilder(URI.create(location + sep + "digest=" + digest))
                    .header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(content)).build(), HttpResponse.BodyHandlers.discarding());
            check(done, 201);
        }
        return digest;
    }

    /** PUT a manifest under {@code reference} (a tag or its digest); returns its digest. */
    public static String manifest(URI registry, String repository, String reference, String mediaType, String json)
            throws IOException, InterruptedException {
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> done = client.send(HttpRequest.newBuilder(
                    registry.resolve("/v2/" + repository + "/manifests/" + reference)).header("Content-Type", mediaType)
                    .PUT(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
            check(done, 201);
        }
        return digest(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static void check(HttpResponse<?> r, int want) throws IOException {
        if (r.statusCode() != want) {
            throw new IOException(r.request().method() + " " + r.uri() + " answered " + r.statusCode() + ": " + r.body());
        }
    }
}
