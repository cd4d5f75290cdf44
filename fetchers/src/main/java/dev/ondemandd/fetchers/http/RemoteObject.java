package dev.ondemandd.fetchers.http;

import dev.ondemandd.fetchers.FetchException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscribers;
import java.net.http.HttpResponse.ResponseInfo;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An HTTP object read by byte ranges, its size (and ETag, when the server gives one) pinned when it was
 * probed. Every answer is checked against what was asked: a 206 must carry exactly the Content-Range asked
 * for and the pinned total; a 200 to a Range request means the server ignores Range, so only the wanted bytes
 * are taken from the whole body and later reads stop asking for ranges. A body shorter or longer than
 * expected, or an object whose size or ETag changed, fails the read instead of mixing bytes.
 */
public final class RemoteObject {

    private static final Map<String, String> IDENTITY = Map.of("Accept-Encoding", "identity");

    private final long size;
    private final String etag;
    private volatile boolean ignoresRanges;

    public RemoteObject(long size, String etag, boolean ignoresRanges) {
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size);
        }
        this.size = size;
        this.etag = etag;
        this.ignoresRanges = ignoresRanges;
    }

    /** The probe's answer: the object and the URI (after redirects) that answered. */
    public record Probe(RemoteObject object, URI uri) {
    }

    /**
     * Learns the object's size: HEAD first; when HEAD is refused or gives no length, a one-byte Range GET
     * (whose Content-Range total, or a whole-object 200's Content-Length, gives it).
     */
    public static Probe probe(HttpTransport transport, URI uri, Authorizer auth) throws FetchException {
        String what = "HEAD " + HttpTransport.redact(uri);
        HttpTransport.Exchange<Void> head = transport.exchange("HEAD", uri, IDENTITY, auth,
                info -> BodySubscribers.replacing(null));
        if (head.status() / 100 == 2) {
            OptionalLong length = head.response().headers().firstValueAsLong("Content-Length");
            if (length.isPresent() && length.getAsLong() >= 0) {
                boolean none = head.response().headers().firstValue("Accept-Ranges")
                        .map(v -> v.trim().equalsIgnoreCase("none")).orElse(false);
                return new Probe(new RemoteObject(length.getAsLong(), etag(head.response().headers()), none),
                        head.uri());
            }
        } else if (head.status() != 405 && head.status() != 501) {
            throw HttpTransport.statusError(what, head.response());
        }
        return probeByRange(transport, uri, auth);
    }

    private static Probe probeByRange(HttpTransport transport, URI uri, Authorizer auth) throws FetchException {
        String what = "GET " + HttpTransport.redact(uri);
        AtomicReference<RangeSubscriber> sub = new AtomicReference<>();
        HttpTransport.Exchange<Long> got;
        try {
            got = transport.exchange("GET", uri, Map.of("Range", "bytes=0-0", "Accept-Encoding", "identity"), auth,
                    info -> {
                        sub.set(new RangeSubscriber(ByteBuffer.allocate(1), 0, true));
                        return sub.get();
                    });
        } finally {
            abandon(sub);
        }
        HttpHeaders h = got.response().headers();
        if (got.status() == 206) {
            ContentRange cr = ContentRange.parse(h.firstValue("Content-Range").orElse(null))
                    .filter(r -> r.first() == 0 && r.last() == 0 && r.total() >= 1)
                    .orElseThrow(() -> new FetchException(what + ": 206 without a usable Content-Range total",
                            FetchException.EIO, false));
            return new Probe(new RemoteObject(cr.total(), etag(h), false), got.uri());
        }
        if (got.status() == 200) {
            long length = h.firstValueAsLong("Content-Length").orElse(-1);
            if (length < 0) {
                throw new FetchException(what + ": neither Content-Length nor Range support; size unknown",
                        FetchException.EIO, false);
            }
            return new Probe(new RemoteObject(length, etag(h), true), got.uri());
        }
        if (got.status() == 416) {
            // An empty object cannot satisfy bytes=0-0; its size is in "bytes */0".
            Optional<ContentRange> cr = ContentRange.parse(h.firstValue("Content-Range").orElse(null));
            if (cr.isPresent() && cr.get().total() == 0) {
                return new Probe(new RemoteObject(0, etag(h), false), got.uri());
            }
        }
        throw HttpTransport.statusError(what, got.status());
    }

    public long size() {
        return size;
    }

    /** Whether the server was seen to answer a Range request with the whole object. */
    public boolean ignoresRanges() {
        return ignoresRanges;
    }

    /**
     * Reads {@code dst.remaining()} bytes at {@code offset} from {@code uri} into {@code dst} and advances its
     * position to its limit; on failure {@code dst}'s position is unchanged (its content is undefined).
     *
     * @return the URI that answered, after redirects
     */
    public URI read(HttpTransport transport, URI uri, Authorizer auth, Map<String, String> extraHeaders,
            long offset, ByteBuffer dst) throws FetchException {
        int length = dst.remaining();
        Objects.checkFromIndexSize(offset, length, size);
        if (length == 0) {
            return uri;
        }
        String what = "GET " + HttpTransport.redact(uri) + " [" + offset + "+" + length + "]";
        boolean askRange = !ignoresRanges;
        Map<String, String> headers = new java.util.HashMap<>(extraHeaders);
        headers.put("Accept-Encoding", "identity");
        if (askRange) {
            headers.put("Range", "bytes=" + offset + "-" + (offset + length - 1));
        }
        ByteBuffer target = dst.slice();
        AtomicReference<RangeSubscriber> sub = new AtomicReference<>();
        HttpTransport.Exchange<Long> got;
        try {
            got = transport.exchange("GET", uri, headers, auth, info -> {
                sub.set(subscriberFor(info, what, target, offset, length));
                return sub.get();
            });
        } finally {
            abandon(sub);
        }
        if (got.status() / 100 != 2) {
            throw HttpTransport.statusError(what, got.response());
        }
        if (got.status() == 200 && askRange) {
            ignoresRanges = true;
        }
        dst.position(dst.limit());
        return got.uri();
    }

    private RangeSubscriber subscriberFor(ResponseInfo info, String what, ByteBuffer target, long offset, int length) {
        HttpHeaders h = info.headers();
        String got = etag(h);
        if (etag != null && got != null && !etag.equals(got)) {
            return RangeSubscriber.failed(new FetchException(what + ": ETag changed from " + etag + " to " + got
                    + "; the object changed while served", FetchException.ESTALE, false));
        }
        if (info.statusCode() == 206) {
            Optional<ContentRange> cr = ContentRange.parse(h.firstValue("Content-Range").orElse(null));
            long last = offset + length - 1;
            if (cr.isEmpty() || cr.get().first() != offset || cr.get().last() != last
                    || (cr.get().total() >= 0 && cr.get().total() != size)) {
                return RangeSubscriber.failed(new FetchException(what + ": asked bytes " + offset + "-" + last + "/"
                        + size + ", got Content-Range " + h.firstValue("Content-Range").orElse("(none)"),
                        FetchException.EIO, false));
            }
            OptionalLong cl = h.firstValueAsLong("Content-Length");
            if (cl.isPresent() && cl.getAsLong() != length) {
                return RangeSubscriber.failed(new FetchException(what + ": Content-Length " + cl.getAsLong()
                        + " for a " + length + "-byte range", FetchException.EIO, false));
            }
            return new RangeSubscriber(target, 0, false);
        }
        if (info.statusCode() == 200) {
            OptionalLong cl = h.firstValueAsLong("Content-Length");
            if (cl.isPresent() && cl.getAsLong() != size) {
                return RangeSubscriber.failed(new FetchException(what + ": whole object of " + cl.getAsLong()
                        + " bytes where " + size + " were pinned; it changed", FetchException.ESTALE, false));
            }
            return new RangeSubscriber(target, offset, true);
        }
        return RangeSubscriber.failed(new FetchException(what + ": unexpected " + info.statusCode(),
                FetchException.EIO, false));
    }

    private static void abandon(AtomicReference<RangeSubscriber> sub) {
        RangeSubscriber s = sub.get();
        if (s != null) {
            s.abandon();
        }
    }

    private static String etag(HttpHeaders h) {
        // A weak ETag says nothing about byte equality.
        return h.firstValue("ETag").filter(e -> !e.startsWith("W/")).orElse(null);
    }
}
