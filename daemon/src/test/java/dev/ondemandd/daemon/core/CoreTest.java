package dev.ondemandd.daemon.core;

import static dev.ondemandd.daemon.core.CoreFixtures.open;
import static dev.ondemandd.daemon.core.CoreFixtures.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ondemandd.fetchers.FetchException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CoreTest {

    private static final int EIO = FetchException.EIO;

    private final FakeSource source = new FakeSource();
    private final List<Core> cores = new ArrayList<>();

    private Core core(CoreSettings settings) {
        Core core = new Core(settings, FakeSource.resolver(source), CoreListener.none());
        cores.add(core);
        return core;
    }

    /** Two-page buffers, each READ fetching exactly its own pages (FetchShapingTest covers the rest). */
    private static CoreSettings small() {
        return CoreSettings.defaults().withBufferSize(2 * CoreSettings.PAGE_SIZE)
                .withDrainTimeout(Duration.ofSeconds(10)).withFetch(FetchPolicy.exact());
    }

    @AfterEach
    void closeCores() {
        cores.forEach(Core::close);
    }

    /** Submits a one-page READ for each of the first {@code count} pages. */
    private static List<Replies.Read> readPages(ObjectHandle handle, int count) {
        List<Replies.Read> replies = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Replies.Read r = new Replies.Read();
            handle.read((long) i * CoreSettings.PAGE_SIZE, CoreSettings.PAGE_SIZE, r);
            replies.add(r);
        }
        return replies;
    }

    private static void assertAllFilled(List<Replies.Read> replies) throws Exception {
        for (Replies.Read r : replies) {
            assertThat(r.await()).isZero();
        }
    }

    @Test
    void openPinsTheSourceSizeAndReadsFillExactlyTheRequestedPages() throws Exception {
        byte[] content = random(3 * CoreSettings.PAGE_SIZE + 1234, 1);
        source.put("img", content);
        Core core = core(small());
        FakeTarget target = new FakeTarget(content.length);

        ObjectHandle handle = open(core, "img", target);
        assertThat(handle.size()).isEqualTo(content.length);

        Replies.Read whole = new Replies.Read();
        handle.read(0, content.length, whole);
        assertThat(whole.await()).isZero();
        assertThat(target.data).isEqualTo(content);
        // A buffer holds two pages: a 3-page-and-a-bit object takes two fetch steps.
        assertThat(target.writeOffsets).containsExactly(0L, 2L * CoreSettings.PAGE_SIZE);
        target.assertClean();
    }

    @Test
    void anUnalignedReadPastTheEndIsWidenedToItsPageAndClampedToTheSize() throws Exception {
        byte[] content = random(10_000, 2);
        source.put("img", content);
        Core core = core(small());
        FakeTarget target = new FakeTarget(content.length);
        ObjectHandle handle = open(core, "img", target);

        Replies.Read reply = new Replies.Read();
        handle.read(9000, 1 << 20, reply);

        assertThat(reply.await()).isZero();
        assertThat(target.writeOffsets).containsExactly(8192L);
        assertThat(Arrays.copyOfRange(target.data, 8192, 10_000)).isEqualTo(Arrays.copyOfRange(content, 8192, 10_000));
        target.assertClean();
    }

    @Test
    void aSaturatingSequentialReaderDoesNotStarveOtherObjects() throws Exception {
        int page = CoreSettings.PAGE_SIZE;
        source.put("heavy", random(100 * page, 3)).put("b", random(page, 4)).put("c", random(page, 5));
        Core core = core(small().withConcurrency(1));
        ObjectHandle heavy = open(core, "heavy", new FakeTarget(100 * page));
        ObjectHandle b = open(core, "b", new FakeTarget(page));
        ObjectHandle c = open(core, "c", new FakeTarget(page));
        source.gate = new Semaphore(0);

        List<Replies.Read> replies = readPages(heavy, 100);
        Replies.Read rb = new Replies.Read();
        b.read(0, page, rb);
        Replies.Read rc = new Replies.Read();
        c.read(0, page, rc);
        source.gate.release(1000);
        assertThat(rb.await()).isZero();
        assertThat(rc.await()).isZero();
        assertAllFilled(replies);

        // heavy@0 was already running when b and c queued; each of them gets the next turn of the ring.
        assertThat(source.fetches.subList(0, 4)).containsExactly("heavy@0", "heavy@4096", "b@0", "c@0");
        assertThat(source.fetches).hasSize(102);
    }

    @Test
    void concurrencyIsBounded() throws Exception {
        int page = CoreSettings.PAGE_SIZE;
        source.put("img", random(64 * page, 6));
        Core core = core(small().withConcurrency(3));
        ObjectHandle handle = open(core, "img", new FakeTarget(64 * page));
        source.gate = new Semaphore(0);
        List<Replies.Read> replies = readPages(handle, 20);
        await().atMost(Duration.ofSeconds(5)).until(() -> source.fetches.size() == 3);
        Thread.sleep(100);
        assertThat(source.fetches).hasSize(3);
        assertThat(core.stats()).isEqualTo(new CoreStats(1, 1, 17, 3));
        source.gate.release(100);
        assertAllFilled(replies);
    }

    @Test
    void aReadPastItsDeadlineFailsWithEioAndTheLateResultIsNeverWritten() throws Exception {
        source.put("img", random(8192, 7));
        Core core = core(small().withReadDeadline(Duration.ofMillis(200)));
        FakeTarget target = new FakeTarget(8192);
        ObjectHandle handle = open(core, "img", target);
        source.gate = new Semaphore(0);
        source.stubborn = true;

        Replies.Read reply = new Replies.Read();
        long start = System.nanoTime();
        handle.read(0, 8192, reply);

        assertThat(reply.await()).isEqualTo(EIO);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(150), Duration.ofSeconds(5));
        handle.close();
        Thread.sleep(100);
        assertThat(target.isClosed()).as("target closed while its fetch still runs").isFalse();

        source.gate.release();
        assertThat(target.closed.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(target.writeOffsets).as("late result discarded").isEmpty();
        assertThat(reply.answers).hasValue(1);
        target.assertClean();
    }

    @Test
    void aReadOfARangeWhoseFetchWasAbandonedAtTheDeadlineGetsAFetchOfItsOwn() throws Exception {
        byte[] content = random(8192, 21);
        source.put("img", content);
        Core core = core(small().withConcurrency(2).withReadDeadline(Duration.ofMillis(300)));
        FakeTarget target = new FakeTarget(8192);
        ObjectHandle handle = open(core, "img", target);
        Semaphore held = new Semaphore(0);
        source.gate = held;
        source.stubborn = true;
        Replies.Read expired = new Replies.Read();
        handle.read(0, 4096, expired);
        assertThat(expired.await()).isEqualTo(EIO);
        // its fetch is still stuck in a read deaf to interrupts, carrying nobody; the source now answers at once
        source.gate = null;

        Replies.Read late = new Replies.Read();
        handle.read(0, 4096, late);
        assertThat(late.await()).as("a fetch of its own, not the abandoned one's EIO at its deadline").isZero();
        assertThat(Arrays.copyOfRange(target.data, 0, 4096)).isEqualTo(Arrays.copyOfRange(content, 0, 4096));
        held.release();
        await().atMost(Duration.ofSeconds(5)).until(() -> core.stats().runningReads() == 0);
        assertThat(source.fetches).containsExactly("img@0", "img@0");
        target.assertClean();
    }

    @Test
    void theDeadlineInterruptsAFetchThatListensAndFreesItsSlot() throws Exception {
        source.put("img", random(8192, 8));
        Core core = core(small().withConcurrency(1).withReadDeadline(Duration.ofMillis(200)));
        ObjectHandle handle = open(core, "img", new FakeTarget(8192));
        source.gate = new Semaphore(0);

        Replies.Read first = new Replies.Read();
        handle.read(0, 4096, first);
        assertThat(first.await()).isEqualTo(EIO);

        source.gate = null;
        Replies.Read second = new Replies.Read();
        handle.read(4096, 4096, second);
        assertThat(second.await()).isZero();
    }

    @Test
    void aQueuedReadPastItsDeadlineIsAnsweredWithoutEverRunning() throws Exception {
        source.put("img", random(8192, 9));
        Core core = core(small().withConcurrency(1).withReadDeadline(Duration.ofMillis(200)));
        ObjectHandle handle = open(core, "img", new FakeTarget(8192));
        source.gate = new Semaphore(0);
        source.stubborn = true;

        Replies.Read running = new Replies.Read();
        handle.read(0, 4096, running);
        Replies.Read queued = new Replies.Read();
        handle.read(4096, 4096, queued);

        assertThat(queued.await()).isEqualTo(EIO);
        assertThat(running.await()).isEqualTo(EIO);
        source.gate.release(10);
        await().atMost(Duration.ofSeconds(5)).until(() -> core.stats().runningReads() == 0);
        assertThat(source.fetches).containsExactly("img@0");
    }

    @Test
    void closeDuringAFetchClosesTheTargetOnlyAfterTheLastFetchHasWritten() throws Exception {
        byte[] content = random(8192, 10);
        source.put("img", content);
        Core core = core(small());
        FakeTarget target = new FakeTarget(8192);
        ObjectHandle handle = open(core, "img", target);
        source.gate = new Semaphore(0);

        Replies.Read a = new Replies.Read();
        Replies.Read b = new Replies.Read();
        handle.read(0, 4096, a);
        handle.read(4096, 4096, b);
        await().atMost(Duration.ofSeconds(5)).until(() -> source.fetches.size() == 2);

        handle.close();
        assertThat(target.isClosed()).isFalse();
        Replies.Read afterClose = new Replies.Read();
        handle.read(0, 4096, afterClose);
        assertThat(afterClose.await()).as("a READ after CLOSE is refused").isEqualTo(EIO);

        source.gate.release();
        // Either fetch may take the first permit (their threads race to the gate); one of them finishes.
        await().atMost(Duration.ofSeconds(5)).until(() -> a.answers.get() + b.answers.get() == 1);
        Thread.sleep(50);
        assertThat(target.isClosed()).as("one fetch still holds a reference").isFalse();
        source.gate.release();
        assertThat(a.await()).isZero();
        assertThat(b.await()).isZero();
        assertThat(target.closed.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(target.data).isEqualTo(content);
        target.assertClean();
        await().atMost(Duration.ofSeconds(5)).until(() -> core.stats().equals(new CoreStats(0, 0, 0, 0)));
        assertThat(source.blobClosed).isTrue();
    }

    @Test
    void closingTwiceIsABug() throws Exception {
        source.put("img", random(100, 11));
        Core core = core(small());
        FakeTarget target = new FakeTarget(100);
        ObjectHandle handle = open(core, "img", target);
        handle.close();
        assertThatThrownBy(handle::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed twice");
        assertThat(target.closes).hasValue(1);
    }

    @Test
    void aReopenOfTheSameKeySharesTheBlobWhileTheOldObjectDrains() throws Exception {
        source.put("img", random(8192, 12));
        Core core = core(small());
        FakeTarget oldTarget = new FakeTarget(8192);
        ObjectHandle old = open(core, "img", oldTarget);
        source.gate = new Semaphore(0);
        Replies.Read pending = new Replies.Read();
        old.read(0, 4096, pending);
        old.close();

        FakeTarget newTarget = new FakeTarget(8192);
        source.gate.release(100);
        ObjectHandle fresh = open(core, "img", newTarget);
        assertThat(fresh.id()).isNotEqualTo(old.id());
        assertThat(pending.await()).isZero();
        Replies.Read read = new Replies.Read();
        fresh.read(4096, 4096, read);
        assertThat(read.await()).isZero();
        assertThat(oldTarget.closed.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(newTarget.isClosed()).isFalse();
        assertThat(core.stats().openObjects()).isEqualTo(1);
    }

    @Test
    void shutdownAnswersEveryReadAndClosesEveryTarget() throws Exception {
        int page = CoreSettings.PAGE_SIZE;
        source.put("a", random(8 * page, 13)).put("b", random(8 * page, 14));
        Core core = core(small().withConcurrency(1));
        FakeTarget ta = new FakeTarget(8 * page);
        FakeTarget tb = new FakeTarget(8 * page);
        ObjectHandle a = open(core, "a", ta);
        ObjectHandle b = open(core, "b", tb);
        source.gate = new Semaphore(0);
        Replies.Read running = new Replies.Read();
        a.read(0, page, running);
        List<Replies.Read> queued = new ArrayList<>();
        for (int i = 1; i < 4; i++) {
            Replies.Read r = new Replies.Read();
            (i % 2 == 0 ? a : b).read((long) i * page, page, r);
            queued.add(r);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> source.fetches.size() == 1);

        CompletableFuture<Void> closing = CompletableFuture.runAsync(core::close);
        for (Replies.Read r : queued) {
            assertThat(r.await()).as("queued READs are answered at once").isEqualTo(EIO);
        }
        assertThat(closing).isNotDone();
        Replies.Read late = new Replies.Read();
        b.read(0, page, late);
        assertThat(late.await()).as("no READ is taken while shutting down").isEqualTo(EIO);
        Replies.Open lateOpen = new Replies.Open();
        FakeTarget lateTarget = new FakeTarget(8 * page);
        core.open(ObjectKey.of("erofs,img", "a"), lateTarget, lateOpen);
        assertThat(lateOpen.awaitErrno()).isEqualTo(EIO);
        assertThat(lateTarget.isClosed()).isTrue();

        source.gate.release(10);
        closing.get(10, TimeUnit.SECONDS);
        assertThat(running.await()).as("the running READ finished").isZero();
        assertThat(ta.isClosed()).isTrue();
        assertThat(tb.isClosed()).isTrue();
        ta.assertClean();
        tb.assertClean();
        assertThat(core.stats()).isEqualTo(new CoreStats(0, 0, 0, 0));
    }

    @Test
    void anOpenThatMatchesNoSourceOrFailsIsAnsweredWithAnErrnoAndItsTargetClosed() throws Exception {
        Core core = new Core(small(), new SourceResolver(List.of(SourceRule.of("erofs,*", "img*", "fake:///{cookie}")),
                dev.ondemandd.fetchers.FetcherRegistry.of(source)), CoreListener.none());
        cores.add(core);

        FakeTarget noRule = new FakeTarget(0);
        Replies.Open r1 = new Replies.Open();
        core.open(ObjectKey.of("erofs,img", "other"), noRule, r1);
        assertThat(r1.awaitErrno()).isEqualTo(FetchException.ENOENT);

        FakeTarget missing = new FakeTarget(0);
        Replies.Open r2 = new Replies.Open();
        core.open(ObjectKey.of("erofs,img", "img-missing"), missing, r2);
        assertThat(r2.awaitErrno()).isEqualTo(FetchException.ENOENT);

        FakeTarget unsafe = new FakeTarget(0);
        Replies.Open r3 = new Replies.Open();
        core.open(ObjectKey.of("erofs,img", "img/../../etc/passwd"), unsafe, r3);
        assertThat(r3.awaitErrno()).isEqualTo(FetchException.EACCES);

        await().atMost(Duration.ofSeconds(5)).until(() -> noRule.isClosed() && missing.isClosed() && unsafe.isClosed());
        assertThat(core.stats()).isEqualTo(new CoreStats(0, 0, 0, 0));
    }

    @Test
    void anOpenPastItsDeadlineFailsWithEio() throws Exception {
        FakeTarget target = new FakeTarget(0);
        Semaphore hold = new Semaphore(0);
        dev.ondemandd.fetchers.Fetcher slow = new dev.ondemandd.fetchers.Fetcher() {
            @Override
            public java.util.Set<String> schemes() {
                return java.util.Set.of("fake");
            }

            @Override
            public dev.ondemandd.fetchers.Blob open(java.net.URI location) throws FetchException {
                hold.acquireUninterruptibly();
                return source.open(location);
            }
        };
        source.put("img", random(10, 15));
        Core core = new Core(small().withOpenDeadline(Duration.ofMillis(200)), new SourceResolver(
                List.of(SourceRule.of("*", "*", "fake:///{cookie}")), dev.ondemandd.fetchers.FetcherRegistry.of(slow)),
                CoreListener.none());
        cores.add(core);
        Replies.Open reply = new Replies.Open();
        core.open(ObjectKey.of("v", "img"), target, reply);
        assertThat(reply.awaitErrno()).isEqualTo(EIO);
        assertThat(target.isClosed()).isFalse();
        hold.release();
        assertThat(target.closed.await(5, TimeUnit.SECONDS)).as("the late blob is dropped with its target").isTrue();
        assertThat(reply.answers).hasValue(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> core.stats().equals(new CoreStats(0, 0, 0, 0)));
    }

    @Test
    void aFetchErrorReachesTheReaderAsItsErrno() throws Exception {
        Core core = core(small());
        source.put("img", random(4096, 16));
        ObjectHandle handle = open(core, "img", new FakeTarget(4096));
        source.blobs.clear();
        Replies.Read reply = new Replies.Read();
        handle.read(-1, 10, reply);
        assertThat(reply.await()).isEqualTo(FetchException.EINVAL);
    }

    @Test
    void aThrowingListenerDoesNotDisturbServing() throws Exception {
        source.put("img", random(4096, 17));
        Core core = new Core(small(), FakeSource.resolver(source), new CoreListener() {
            @Override
            public void onReadDone(ObjectKey key, long objectId, long offset, long length, ReadOutcome outcome,
                    int errno, long latencyNanos) {
                throw new IllegalStateException("listener bug");
            }
        });
        cores.add(core);
        ObjectHandle handle = open(core, "img", new FakeTarget(4096));
        Replies.Read reply = new Replies.Read();
        handle.read(0, 4096, reply);
        assertThat(reply.await()).isZero();
    }
}
