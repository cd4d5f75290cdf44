package dev.ondemandd.daemon.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A hand-over ({@link Core#handOver()}): the kernel's fd outlives the process, so the core answers nothing that is
 * not already being fetched — those requests stay with the kernel for the next daemon — lets running fetches finish,
 * and closes no target (a fetch may still write through it; the process exit closes it).
 */
class CoreHandOverTest {

    private static final int PAGES = 4;

    private final FakeSource source = new FakeSource();
    private final List<Core> cores = new ArrayList<>();

    /** One fetch slot, one page per fetch, deadlines short enough to pass while the hand-over waits. */
    private Core core(Duration drainTimeout) {
        Core core = new Core(CoreSettings.defaults().withConcurrency(1).withBufferSize(CoreSettings.PAGE_SIZE)
                .withReadDeadline(Duration.ofMillis(300)).withDrainTimeout(drainTimeout)
                .withFetch(FetchPolicy.exact()), FakeSource.resolver(source), CoreListener.none());
        cores.add(core);
        return core;
    }

    @AfterEach
    void release() {
        Semaphore gate = source.gate;
        if (gate != null) {
            gate.release(1000);
        }
        cores.forEach(Core::close);
    }

    private static List<Replies.Read> readEveryPage(ObjectHandle handle) {
        List<Replies.Read> replies = new ArrayList<>();
        for (int i = 0; i < PAGES; i++) {
            Replies.Read r = new Replies.Read();
            handle.read((long) i * CoreSettings.PAGE_SIZE, CoreSettings.PAGE_SIZE, r);
            replies.add(r);
        }
        return replies;
    }

    private void awaitFetches(int n) throws InterruptedException {
        for (int i = 0; i < 400 && source.fetches.size() < n; i++) {
            Thread.sleep(5);
        }
        assertThat(source.fetches).hasSize(n);
    }

    /** The object's every page read with one fetch slot, whose fetch the source holds at its gate. */
    private record HeldFetch(Core core, FakeTarget target, ObjectHandle handle, List<Replies.Read> reads) {
    }

    private HeldFetch everyPageReadBehindOneHeldFetch(Duration drainTimeout) throws Exception {
        source.put("img", new byte[PAGES * CoreSettings.PAGE_SIZE]);
        source.gate = new Semaphore(0);
        Core core = core(drainTimeout);
        FakeTarget target = new FakeTarget(PAGES * CoreSettings.PAGE_SIZE);
        ObjectHandle handle = CoreFixtures.open(core, "img", target);
        List<Replies.Read> reads = readEveryPage(handle);
        awaitFetches(1);
        return new HeldFetch(core, target, handle, reads);
    }

    @Test
    void theRunningFetchFinishesAndAnswersWhileQueuedReadsStayUnansweredPastTheirDeadline() throws Exception {
        HeldFetch held = everyPageReadBehindOneHeldFetch(Duration.ofSeconds(10));

        CompletableFuture<Core.HandOver> handOver = CompletableFuture.supplyAsync(held.core()::handOver);
        Thread.sleep(600); // twice the read deadline: a deadline that still ran would answer EIO now
        assertThat(held.reads()).noneMatch(Replies.Read::isAnswered);
        Replies.Read late = new Replies.Read();
        held.handle().read(0, CoreSettings.PAGE_SIZE, late);
        Replies.Open lateOpen = new Replies.Open();
        FakeTarget lateTarget = new FakeTarget(PAGES * CoreSettings.PAGE_SIZE);
        held.core().open(ObjectKey.of("erofs,img", "img"), lateTarget, lateOpen);
        source.gate.release();

        Core.HandOver left = handOver.get(10, TimeUnit.SECONDS);
        assertThat(held.reads().get(0).await()).as("the READ its fetch carried is answered filled").isZero();
        assertThat(left.fetchesFinished()).isTrue();
        assertThat(left.readsLeft()).as("three queued, one arriving during the hand-over").isEqualTo(4);
        Thread.sleep(100);
        assertThat(held.reads().subList(1, PAGES)).noneMatch(Replies.Read::isAnswered);
        assertThat(late.isAnswered()).isFalse();
        assertThat(lateOpen.answers).hasValue(0);
        assertThat(held.target().isClosed()).as("targets close with the process, never under a write").isFalse();
        assertThat(lateTarget.isClosed()).isFalse();
        assertThat(held.core().bytesInFlight()).isZero();
        held.target().assertClean();
        assertThat(held.reads().get(0).answers).hasValue(1);
    }

    @Test
    void aFetchThatOutlastsTheDrainTimeoutIsLeftRunningWithItsReadUnansweredAndItsTargetOpen() throws Exception {
        HeldFetch held = everyPageReadBehindOneHeldFetch(Duration.ofMillis(200));

        Core.HandOver left = held.core().handOver();

        assertThat(left.fetchesFinished()).isFalse();
        assertThat(left.readsLeft()).as("the one in flight and three queued").isEqualTo(PAGES);
        assertThat(held.reads()).noneMatch(Replies.Read::isAnswered);
        assertThat(held.target().isClosed()).isFalse();
    }

    @Test
    void aFullCloseStillAnswersEveryQueuedReadWithEio() throws Exception {
        HeldFetch held = everyPageReadBehindOneHeldFetch(Duration.ofSeconds(10));

        CompletableFuture<Void> close = CompletableFuture.runAsync(held.core()::close);
        for (Replies.Read r : held.reads().subList(1, PAGES)) {
            assertThat(r.await()).isEqualTo(dev.ondemandd.fetchers.FetchException.EIO);
        }
        source.gate.release();
        close.get(10, TimeUnit.SECONDS);
        assertThat(held.reads().get(0).await()).isZero();
        assertThat(held.target().isClosed()).isTrue();
        held.target().assertClean();
    }
}
