package dev.ondemandd.fetchers.http;

import dev.ondemandd.fetchers.FetchException;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Streams a response body into the caller's buffer: skips the first {@code skip} bytes (a server that ignored
 * Range sends the whole object), then fills {@code target} exactly. A body that ends early is an error; one
 * that goes on past the target is an error for a 206 and simply cut off for a whole-object 200.
 *
 * <p>Writes happen on the client's threads. Once the caller gives up ({@link #abandon()}, after a timeout), no
 * further byte is written, so a buffer the caller reuses is never touched by a stale response.
 */
final class RangeSubscriber implements BodySubscriber<Long> {

    private final ByteBuffer target;
    private final int wanted;
    private final boolean extraAllowed;
    private final CompletableFuture<Long> result = new CompletableFuture<>();
    private long skip;
    private Flow.Subscription subscription;
    private boolean finished;

    /**
     * @param target the bytes to fill, position to limit; written through, its position is not trusted after
     * @param skip leading body bytes to drop
     * @param extraAllowed whether bytes after the target are expected (and dropped by closing the stream)
     */
    RangeSubscriber(ByteBuffer target, long skip, boolean extraAllowed) {
        this.target = target;
        this.wanted = target.remaining();
        this.skip = skip;
        this.extraAllowed = extraAllowed;
    }

    /** A subscriber that has already failed: the body is not read, the exchange ends with {@code error}. */
    static RangeSubscriber failed(FetchException error) {
        RangeSubscriber s = new RangeSubscriber(ByteBuffer.allocate(0), 0, false);
        s.finish(error);
        return s;
    }

    @Override
    public synchronized void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (finished) {
            s.cancel();
        } else {
            s.request(Long.MAX_VALUE);
        }
    }

    @Override
    public synchronized void onNext(List<ByteBuffer> items) {
        if (finished) {
            return;
        }
        for (ByteBuffer item : items) {
            if (skip > 0) {
                int n = (int) Math.min(skip, item.remaining());
                item.position(item.position() + n);
                skip -= n;
            }
            if (!item.hasRemaining()) {
                continue;
            }
            int n = Math.min(item.remaining(), target.remaining());
            if (n > 0) {
                ByteBuffer part = item.slice(item.position(), n);
                target.put(part);
                item.position(item.position() + n);
            }
            if (item.hasRemaining()) {
                if (extraAllowed) {
                    finish(null);
                } else {
                    finish(new FetchException("body longer than the " + wanted + " bytes asked for",
                            FetchException.EIO, true));
                }
                subscription.cancel();
                return;
            }
        }
    }

    @Override
    public synchronized void onError(Throwable error) {
        finish(error);
    }

    @Override
    public synchronized void onComplete() {
        if (target.hasRemaining()) {
            finish(new FetchException("body ended after " + (wanted - target.remaining()) + " of " + wanted
                    + " bytes", FetchException.EIO, true));
        } else {
            finish(null);
        }
    }

    /** Stops all writes into the target; called by a caller that no longer waits. */
    synchronized void abandon() {
        if (!finished) {
            finish(new FetchException("abandoned", FetchException.EIO, true));
            if (subscription != null) {
                subscription.cancel();
            }
        }
    }

    private void finish(Throwable error) {
        if (finished) {
            return;
        }
        finished = true;
        if (error == null) {
            result.complete((long) wanted);
        } else {
            result.completeExceptionally(error);
        }
    }

    @Override
    public CompletionStage<Long> getBody() {
        return result;
    }
}
