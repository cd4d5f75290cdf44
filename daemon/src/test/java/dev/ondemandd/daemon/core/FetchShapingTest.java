package dev.ondemandd.daemon.core;

import static dev.ondemandd.daemon.core.CoreFixtures.open;
import static dev.ondemandd.daemon.core.CoreFixtures.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ondemandd.fetchers.FetchException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How READs become fetches: amplification, merging, sequential read-ahead, prefetch, the bound in flight. */
class FetchShapingTest {

    private static final int PAGE = CoreSettings.PAGE_SIZE;
    private static final int UNIT = 4 * PAGE;

    private final FakeSource source = new FakeSource();
    private final Fetches fetches = new Fetches();
    private final List<Core> cores = new ArrayList<>();

    /** Every fetch step's range, as "offset+length". */
    private static final class Fetches implements CoreListener {
        final List<String> ranges = new CopyOnWriteArrayList<>();

        @Override
        public void onFetch(ObjectKey key, long offset, int length, int errno, long latencyNanos) {
            ranges.add(offset + "+" + length);
        }
    }

    /** Buffers as large as the largest fetch here, so each fetch is one step the listener hears. */
    private Core core(FetchPolicy policy, int concurrency) {
        Core core = new Core(CoreSettings.defaults().withBufferSize(16 * UNIT).withConcurrency(concurrency)
                .withDrainTimeout(Duration.ofSeconds(10)).withFetch(policy), FakeSource.resolver(source), fetches);
        cores.add(core);
        return core;
    }

    @AfterEach
    void closeCores() {
        cores.forEach(Core::close);
    }

    private static Replies.Read read(ObjectHandle handle, long offset, long length) {
        Replies.Read r = new Replies.Read();
        handle.read(offset, length, r);
        return r;
    }

    private static FetchPolicy unitsOnly() {
        return FetchPolicy.exact().withUnit(UNIT);
    }

    @Test
    void aReadIsWidenedToItsAlignedUnitButNeverPastTheObjectsEnd() throws Exception {
        byte[] content = random(2 * UNIT + 1000, 1);
        source.put("img", content);
        Core core = core(unitsOnly(), 4);
        FakeTarget target = new FakeTarget(content.length);
        ObjectHandle handle = open(core, "img", target);

        assertThat(read(handle, UNIT + 5 * 1024, 100).await()).isZero();
        assertThat(read(handle, 2 * UNIT + 10, 10).await()).isZero();

        assertThat(fetches.ranges).containsExactly(UNIT + "+" + UNIT, 2 * UNIT + "+1000");
        assertThat(target.data).isEqualTo(filledAt(content, UNIT, content.length));
        target.assertClean();
    }

    private static byte[] filledAt(byte[] content, int from, int to) {
        byte[] expected = new byte[content.length];
        System.arraycopy(content, from, expected, from, to - from);
        return expected;
    }

    @Test
    void aReadCoveredByAFetchInFlightWaitsForItInsteadOfFetchingAgain() throws Exception {
        byte[] content = random(4 * UNIT, 2);
        source.put("img", content);
        Core core = core(unitsOnly(), 4);
        FakeTarget target = new FakeTarget(content.length);
        ObjectHandle handle = open(core, "img", target);
        source.gate = new Semaphore(0);

        Replies.Read first = read(handle, 0, PAGE);
        await().atMost(Duration.ofSeconds(5)).until(() -> source.fetches.size() == 1);
        Replies.Read covered = read(handle, 2 * PAGE, PAGE);
        Thread.sleep(100);
        assertThat(source.fetches).as("the second READ started no fetch").hasSize(1);
        assertThat(core.stats().queuedReads()).isZero();
        source.gate.release(10);

        assertThat(first.await()).isZero();
        assertThat(covered.await()).isZero();
        assertThat(source.fetches).containsExactly("img@0");
        target.assertClean();
    }

    @Test
    void queuedReadsOfOneUnitRideOnOneFetch() throws Exception {
        byte[] content = random(4 * UNIT, 3);
        source.put("img", content).put("other", random(UNIT, 4));
        Core core = core(unitsOnly(), 1);
        FakeTarget target = new FakeTarget(content.length);
        ObjectHandle handle = open(core, "img", target);
        ObjectHandle other = open(core, "other", new FakeTarget(UNIT));
        source.gate = new Semaphore(0);

        Replies.Read blocking = read(other, 0, PAGE);
        await().atMost(Duration.ofSeconds(5)).until(() -> source.fetches.size() == 1);
        List<Replies.Read> queued = List.of(read(handle, UNIT, PAGE), read(handle, UNIT + 2 * PAGE, 2 * PAGE),
                read(handle, UNIT + PAGE, PAGE));
        assertThat(core.stats().queuedReads()).isEqualTo(3);
        source.gate.release(10);

        assertThat(blocking.await()).isZero();
        for (Replies.Read r : queued) {
            assertThat(r.await()).isZero();
        }
        assertThat(source.fetches).containsExactly("other@0", "img@" + UNIT);
        assertThat(target.data).isEqualTo(filledAt(content, UNIT, 2 * UNIT));
        target.assertClean();
    }

    @Test
    void aSequentialReaderGetsAReadAheadWindowThatDoublesUpToItsMaximumAndARandomOneNone() throws Exception {
        byte[] content = random(64 * UNIT, 5);
        source.put("img", content);
        Core core = core(unitsOnly().withReadaheadMax(4 * UNIT), 4);
        FakeTarget target = new FakeTarget(content.length);
        ObjectHandle handle = open(core, "img", target);

        // The kernel asks only for holes: each READ starts where the previous fetch ended.
        long next = 0;
        List<Long> lengths = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            assertThat(read(handle, next, PAGE).await()).isZero();
            String last = fetches.ranges.getLast();
            long offset = Long.parseLong(last.substring(0, last.indexOf('+')));
            long length = Long.parseLong(last.substring(last.indexOf('+') + 1));
            assertThat(offset).isEqualTo(next);
            lengths.add(length);
            next = offset + length;
        }
        assertThat(lengths).containsExactly(2L * UNIT, 3L * UNIT, 5L * UNIT, 5L * UNIT, 5L * UNIT);

        fetches.ranges.clear();
        assertThat(read(handle, 40 * UNIT, PAGE).await()).isZero();
        assertThat(read(handle, 30 * UNIT, PAGE).await()).isZero();
        assertThat(fetches.ranges).as("a reader jumping around gets its units only")
                .containsExactly(40 * UNIT + "+" + UNIT, 30 * UNIT + "+" + UNIT);
        assertThat(target.data).startsWith(java.util.Arrays.copyOf(content, (int) next));
        target.assertClean();
    }

    @Test
    void prefetchIsOffByDefault() throws Exception {
        source.put("img", random(8 * UNIT, 6));
        Core core = core(FetchPolicy.defaults(), 4);
        open(core, "img", new FakeTarget(8 * UNIT));
        Thread.sleep(200);
        assertThat(source.fetches).isEmpty();
    }

    @Test
    void prefetchFillsAnOpenedObjectUnitByUnitInTheSlotsReadsLeave() throws Exception {
        byte[] content = random(8 * UNIT + 100, 7);
        source.put("img", content);
        Core core = core(unitsOnly().withPrefetchConcurrency(1), 2);
        FakeTarget target = new FakeTarget(content.length);
        ObjectHandle handle = open(core, "img", target);

        await().atMost(Duration.ofSeconds(10)).until(() -> java.util.Arrays.equals(target.data, content));
        assertThat(source.fetches).hasSize(9).doesNotHaveDuplicates();
        assertThat(read(handle, 0, PAGE).await()).isZero();
        target.assertClean();
    }

    @Test
    void aDemandReadFindsASlotWhilePrefetchIsStuck() throws Exception {
        byte[] content = random(8 * UNIT, 8);
        source.put("img", content).put("demand", random(UNIT, 9));
        Semaphore stuck = new Semaphore(0);
        source.gate = stuck;
        Core core = core(unitsOnly().withPrefetchConcurrency(4), 2);
        open(core, "img", new FakeTarget(content.length));
        await().atMost(Duration.ofSeconds(5)).until(() -> source.fetches.size() == 1);
        Thread.sleep(100);
        assertThat(source.fetches).as("prefetch never takes the last slot").hasSize(1);

        source.gate = null;
        ObjectHandle demand = open(core, "demand", new FakeTarget(UNIT));
        assertThat(read(demand, 0, PAGE).await()).isZero();
        stuck.release(100);
    }

    @Test
    void submittingWaitsWhileTheBytesInFlightAreAtTheirBound() throws Exception {
        int half = (int) (FetchPolicy.MIN_BYTES_IN_FLIGHT / 2);
        byte[] content = random(4 * half, 10);
        source.put("img", content);
        Core core = core(FetchPolicy.exact().withMaxBytesInFlight(FetchPolicy.MIN_BYTES_IN_FLIGHT), 4);
        ObjectHandle handle = open(core, "img", new FakeTarget(content.length));
        source.gate = new Semaphore(0);

        Replies.Read a = read(handle, 0, half);
        Replies.Read b = read(handle, half, half);
        assertThat(core.bytesInFlight()).isEqualTo(2L * half);
        AtomicBoolean submitted = new AtomicBoolean();
        Replies.Read c = new Replies.Read();
        Thread submitter = Thread.ofPlatform().start(() -> {
            handle.read(2L * half, half, c);
            submitted.set(true);
        });
        Thread.sleep(200);
        assertThat(submitted).as("the third READ waits for room").isFalse();

        source.gate.release(1000);
        submitter.join(10_000);
        assertThat(submitted).isTrue();
        assertThat(a.await()).isZero();
        assertThat(b.await()).isZero();
        assertThat(c.await()).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> core.bytesInFlight() == 0);
    }

    @Test
    void closingTheCoreReleasesASubmitterWaitingForRoom() throws Exception {
        int half = (int) (FetchPolicy.MIN_BYTES_IN_FLIGHT / 2);
        source.put("img", random(4 * half, 11));
        Core core = core(FetchPolicy.exact().withMaxBytesInFlight(FetchPolicy.MIN_BYTES_IN_FLIGHT), 4);
        ObjectHandle handle = open(core, "img", new FakeTarget(4L * half));
        source.gate = new Semaphore(0);
        read(handle, 0, half);
        read(handle, half, half);
        Replies.Read waiting = new Replies.Read();
        Thread submitter = Thread.ofPlatform().start(() -> handle.read(2L * half, half, waiting));
        Thread.sleep(100);

        Thread closer = Thread.ofPlatform().start(core::close);
        assertThat(waiting.await()).isEqualTo(FetchException.EIO);
        submitter.join(5_000);
        assertThat(submitter.isAlive()).isFalse();
        source.gate.release(1000);
        closer.join(10_000);
    }
}
