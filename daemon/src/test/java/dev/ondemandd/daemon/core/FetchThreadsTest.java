package dev.ondemandd.daemon.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.Test;

/** READs run on a bounded set of reused fetch threads, which end when the core closes. */
class FetchThreadsTest {

    private static final int PAGE = CoreSettings.PAGE_SIZE;
    private static final int PAGES = 64;

    /** Records the thread each fetch ran on. */
    private static final class FetchThreads implements CoreListener {
        final Set<Thread> seen = ConcurrentHashMap.newKeySet();

        @Override
        public void onFetch(ObjectKey key, long offset, int length, int errno, long latencyNanos) {
            seen.add(Thread.currentThread());
        }
    }

    private static byte[] content() {
        byte[] bytes = new byte[PAGES * PAGE];
        new Random(7).nextBytes(bytes);
        return bytes;
    }

    @Test
    void readsOneAfterAnotherAndInBurstsRunOnAtMostConcurrencyThreadsThatEndWithTheCore() throws Exception {
        byte[] content = content();
        FakeSource source = new FakeSource().put("img", content);
        FetchThreads threads = new FetchThreads();
        Core core = new Core(CoreSettings.defaults().withConcurrency(2).withBufferSize(PAGE),
                FakeSource.resolver(source), threads);
        FakeTarget target = new FakeTarget(content.length);
        Replies.Open opened = new Replies.Open();
        core.open(ObjectKey.of("erofs,img", "img"), target, opened);
        ObjectHandle handle = opened.await();

        for (int page = 0; page < PAGES / 2; page++) {
            Replies.Read reply = new Replies.Read();
            handle.read((long) page * PAGE, PAGE, reply);
            assertThat(reply.await()).isZero();
        }
        List<Replies.Read> burst = new ArrayList<>();
        for (int page = PAGES / 2; page < PAGES; page++) {
            Replies.Read reply = new Replies.Read();
            handle.read((long) page * PAGE, PAGE, reply);
            burst.add(reply);
        }
        for (Replies.Read reply : burst) {
            assertThat(reply.await()).isZero();
        }

        assertThat(target.data).isEqualTo(content);
        assertThat(target.violations).isEmpty();
        assertThat(threads.seen).hasSizeBetween(1, 2)
                .allSatisfy(t -> assertThat(t.getName()).startsWith("ondemandd-fetch-"));
        handle.close();
        core.close();
        await().atMost(Duration.ofSeconds(30)).until(() -> threads.seen.stream().noneMatch(Thread::isAlive));
    }

    @Test
    void aOneBufferFetchOfAnInMemoryBlobRunsOnTheSubmittingThreadOnlyWhenNothingElseWaits() throws Exception {
        byte[] content = content();
        FakeSource source = new FakeSource().put("img", content);
        source.inMemory = true;
        FetchThreads threads = new FetchThreads();
        Core core = new Core(CoreSettings.defaults().withConcurrency(1).withBufferSize(PAGE)
                .withFetch(FetchPolicy.exact()), FakeSource.resolver(source), threads);
        FakeTarget target = new FakeTarget(content.length);
        Replies.Open opened = new Replies.Open();
        core.open(ObjectKey.of("erofs,img", "img"), target, opened);
        ObjectHandle handle = opened.await();

        Replies.Read alone = new Replies.Read();
        handle.read(0, PAGE, alone);
        assertThat(alone.isAnswered()).as("answered before read() returned").isTrue();
        assertThat(alone.await()).isZero();
        assertThat(threads.seen).containsExactly(Thread.currentThread());

        // Larger than one buffer: a fetch thread's, even with nothing else waiting.
        threads.seen.clear();
        Replies.Read large = new Replies.Read();
        handle.read(PAGE, 2 * PAGE, large);
        assertThat(large.await()).isZero();
        assertThat(threads.seen).hasSize(1).allSatisfy(t -> assertThat(t.getName()).startsWith("ondemandd-fetch-"));

        // With the only slot taken, READs queue for the fetch thread in turn instead of running here.
        threads.seen.clear();
        source.gate = new Semaphore(0);
        Replies.Read held = new Replies.Read();
        handle.read(8 * PAGE, 2 * PAGE, held);
        Replies.Read queued = new Replies.Read();
        handle.read(16 * PAGE, PAGE, queued);
        assertThat(queued.isAnswered()).isFalse();
        source.gate.release(10);
        assertThat(held.await()).isZero();
        assertThat(queued.await()).isZero();
        assertThat(threads.seen).noneMatch(t -> t == Thread.currentThread());

        assertThat(target.violations).isEmpty();
        handle.close();
        core.close();
    }
}
