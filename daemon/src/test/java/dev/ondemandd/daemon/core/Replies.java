package dev.ondemandd.daemon.core;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Replies that remember their single answer (and count any second one, which is a bug). */
final class Replies {

    private Replies() {
    }

    /** A READ's answer: 0 for filled, else the errno. */
    static final class Read implements ReadReply {
        final CompletableFuture<Integer> answer = new CompletableFuture<>();
        final AtomicInteger answers = new AtomicInteger();

        @Override
        public void filled() {
            answers.incrementAndGet();
            answer.complete(0);
        }

        @Override
        public void failed(int errno) {
            answers.incrementAndGet();
            answer.complete(errno);
        }

        int await() throws Exception {
            return answer.get(10, TimeUnit.SECONDS);
        }

        boolean isAnswered() {
            return answer.isDone();
        }
    }

    /** An OPEN's answer. */
    static final class Open implements OpenReply {
        final CompletableFuture<ObjectHandle> handle = new CompletableFuture<>();
        final CompletableFuture<Integer> errno = new CompletableFuture<>();
        final AtomicInteger answers = new AtomicInteger();

        @Override
        public void opened(ObjectHandle h) {
            answers.incrementAndGet();
            handle.complete(h);
            errno.complete(0);
        }

        @Override
        public void failed(int e) {
            answers.incrementAndGet();
            errno.complete(e);
        }

        ObjectHandle await() throws Exception {
            return handle.get(10, TimeUnit.SECONDS);
        }

        int awaitErrno() throws Exception {
            return errno.get(10, TimeUnit.SECONDS);
        }
    }

    static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }
}
