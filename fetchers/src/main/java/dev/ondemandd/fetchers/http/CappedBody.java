package dev.ondemandd.fetchers.http;

import dev.ondemandd.fetchers.FetchException;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A small body (a manifest, a token answer) collected into a byte array, refused once it passes a limit, so
 * a server cannot make us buffer what it likes.
 */
public final class CappedBody implements BodySubscriber<byte[]> {

    private final int limit;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private Flow.Subscription subscription;

    private CappedBody(int limit) {
        this.limit = limit;
    }

    /** A handler collecting bodies of at most {@code limit} bytes. */
    public static BodyHandler<byte[]> handler(int limit) {
        return info -> new CappedBody(limit);
    }

    @Override
    public synchronized void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(Long.MAX_VALUE);
    }

    @Override
    public synchronized void onNext(List<ByteBuffer> items) {
        if (result.isDone()) {
            return;
        }
        for (ByteBuffer b : items) {
            if ((long) out.size() + b.remaining() > limit) {
                result.completeExceptionally(new FetchException("answer larger than " + limit + " bytes",
                        FetchException.EIO, false));
                subscription.cancel();
                return;
            }
            byte[] chunk = new byte[b.remaining()];
            b.get(chunk);
            out.writeBytes(chunk);
        }
    }

    @Override
    public synchronized void onError(Throwable t) {
        result.completeExceptionally(t);
    }

    @Override
    public synchronized void onComplete() {
        result.complete(out.toByteArray());
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return result;
    }
}
