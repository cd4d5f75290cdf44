package dev.ondemandd.daemon.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.config.DispatcherConfig;
import dev.ondemandd.daemon.config.Sources;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.daemon.core.SourceRule;
import dev.ondemandd.daemon.replay.SampleData;
import dev.ondemandd.fetchers.SourceOptions;
import dev.ondemandd.fetchers.http.HttpFetcher;
import dev.ondemandd.fetchers.testing.RangeServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fault table of docs/faults.md, one row per case: every fault ends with the reader getting the right
 * bytes or EIO within the READ deadline, no request left hanging, the daemon serving afterwards, and every
 * cache file byte equal to the source.
 */
class FaultReplayTest {

    /** Short, so a fault that hits the deadline keeps the test fast; the check is "answered by then". */
    private static final Duration DEADLINE = Duration.ofSeconds(2);
    private static final Duration SLACK = Duration.ofSeconds(1);

    @TempDir
    Path dir;

    /** The default fetch policy: READs widened to 1 MiB units, read-ahead, merging. */
    private static DaemonConfig config(SampleData.Sample sample) {
        return config(sample, null, null);
    }

    /** Each READ fetching exactly its own pages: for the cases about what one READ's range may touch. */
    private static DaemonConfig exactFetches(SampleData.Sample sample) {
        return config(sample, (long) CoreSettings.PAGE_SIZE, 0L);
    }

    private static DaemonConfig config(SampleData.Sample sample, Long unit, Long readahead) {
        DaemonConfig plain = sample.config();
        DispatcherConfig dispatcher = new DispatcherConfig(4, DEADLINE, DEADLINE, null, null, unit, readahead, null,
                null, null);
        return new DaemonConfig(null, plain.sources(), dispatcher, null, null, null, null, null);
    }

    private FaultReplay.Report replay(String spec, int blobs, int maxSize) throws Exception {
        return replay(spec, blobs, maxSize, false);
    }

    private FaultReplay.Report replay(String spec, int blobs, int maxSize, boolean exact) throws Exception {
        SampleData.Sample sample = SampleData.generate(dir, blobs, maxSize, 42);
        FaultReplay.Report report = FaultReplay.run(exact ? exactFetches(sample) : config(sample), sample.trace(),
                FaultSpec.parse(spec), CoreListener.none(), line -> { });
        assertThat(report.fired()).as("faults fired").hasSize(FaultSpec.parse(spec).faults().size());
        return report;
    }

    private static void assertHeld(FaultReplay.Report report, int failedReads) {
        assertThat(report.problems()).as(report.summary()).isEmpty();
        assertThat(report.held()).as(report.summary()).isTrue();
        assertThat(report.replay().mismatches()).isZero();
        if (failedReads >= 0) {
            assertThat(report.replay().failures()).as("reads answered EIO").isEqualTo(failedReads);
        }
        assertThat(report.hung()).isZero();
        assertThat(report.slowestReadNanos()).isLessThan(DEADLINE.plus(SLACK).toNanos());
        assertThat(report.servingAfter()).isTrue();
        assertThat(report.wrongBytes()).isZero();
        assertThat(report.bytesVerified()).isGreaterThan(0);
    }

    /**
     * @param failedReads READs answered EIO (-1: any number, each an EIO, none a wrong byte)
     * @param maxLeft kernel requests left unanswered at the end (0 in every row: nothing may be left waiting)
     */
    @ParameterizedTest(name = "{0}: {1} read(s) EIO, {2} left unanswered")
    @CsvSource({
        "error@2, 1, 0",
        "error:2@3, 1, 0",
        "error:110@1, 1, 0",
        "timeout@2, 1, 0",
        "slow:5@2, 0, 0",
        // 5 s before the first 4 KiB: the second fetch outlasts the 2 s deadline whatever its size. At 300 ms per
        // 4 KiB it failed once in CI after 0.44 s: the second fetch was one page, finished in time, no EIO.
        "slow:5000@2, 1, 0",
        "short@2, 1, 0",
        // The filesystem withdrew the object: its fd refuses writes (ENOBUFS), the READ fails, nothing is written.
        "close-mid-fetch@2, -1, 0",
        // A duplicate read after the CLOSE of its object is flushed by the kernel (clean_object), as simulated.
        "duplicate-read@2, 0, 0",
        "restore-mid-fetch@2, -1, 0",
        // The orphaned object's READ is completed through its own fd (its reader gets EIO, outside the trace).
        "unknown-object-read@2, 0, 0",
        "unmatched-open, 0, 0",
    })
    void aFaultReachesTheReaderAsRightBytesOrEioNeverAsWrongBytesOrAHang(String spec, int failedReads, int maxLeft)
            throws Exception {
        // Each READ its own fetch: the counts are exact. Then the default policy (1 MiB units, read-ahead,
        // merging): READs riding on the fetch a fault hit share its fate, so at least as many fail. Rows that
        // tolerate a request left for an unknown object run exact only: whether the duplicate is read before or
        // after its object's CLOSE is timing, which the faster default fetches shift (seen once under load).
        for (boolean exact : maxLeft == 0 ? new boolean[] {true, false} : new boolean[] {true}) {
            FaultReplay.Report report = replay(spec, 3, 300_000, exact);

            assertHeld(report, exact ? failedReads : -1);
            if (!exact && failedReads >= 0) {
                assertThat(report.replay().failures()).as("reads answered EIO").isGreaterThanOrEqualTo(failedReads);
            }
            assertThat(report.outstanding()).as("requests left").isLessThanOrEqualTo(maxLeft);
            if (spec.startsWith("unknown-object-read")) {
                assertThat(report.unknownObjectReads()).isEqualTo(1);
            }
            if (spec.equals("unmatched-open")) {
                assertThat(report.unmatchedOpenErrno()).isEqualTo(2);
            }
        }
    }

    @Test
    void aReadEndingMidPageNeverPutsZerosOverBytesNotFetchedYet() throws Exception {
        // Found by the fault table: a READ of 0+100 was written as a page padded with zeros, so a later read of
        // 200+100 was served zeros from the cache. The core now fetches whole pages up to the object's end.
        SampleData.Sample sample = SampleData.generate(dir, 1, 20_000, 44);
        var open = (dev.ondemandd.daemon.trace.TraceEvent.Open) sample.trace().events().get(0);
        var trace = new dev.ondemandd.daemon.trace.Trace(java.util.Optional.empty(), List.of(open,
                new dev.ondemandd.daemon.trace.TraceEvent.Read(1, open.object(), 0, 100, null),
                new dev.ondemandd.daemon.trace.TraceEvent.Read(2, open.object(), 200, 100, null),
                new dev.ondemandd.daemon.trace.TraceEvent.Close(3, open.object())));

        FaultReplay.Report report = FaultReplay.run(exactFetches(sample), trace, FaultSpec.parse("slow:0@99"),
                CoreListener.none(), line -> { });

        assertThat(report.replay().mismatches()).as(report.summary()).isZero();
        assertThat(report.wrongBytes()).isZero();
        assertThat(report.bytesVerified()).isEqualTo(4096);
    }

    @Test
    void aCorruptWholeBlobReadIsCaughtByItsDigestAndNeverWritten() throws Exception {
        // One READ covers the whole (small, content-addressed) blob, so its sha256 can be checked.
        FaultReplay.Report report = replay("corrupt@1", 1, 12_000);

        assertHeld(report, 1);
    }

    @Test
    void aCorruptRangeReadCannotBeCaughtWithoutRangeDigestsAndReplayReportsIt() throws Exception {
        // The honest limit (docs/faults.md): a whole-blob digest cannot check a range, so the bytes reach the
        // cache; replay's independent check is what finds them. Exact fetches: a 1 MiB unit would fetch these small
        // blobs whole, and a whole blob is what its digest does check.
        FaultReplay.Report report = replay("corrupt@2", 2, 200_000, true);

        assertThat(report.held()).isFalse();
        assertThat(report.replay().mismatches()).isPositive();
        assertThat(report.wrongBytes()).isEqualTo(1);
        assertThat(report.hung()).isZero();
        // Not asserted: serving afterwards, whose probe reads the first object's first page, which may be the
        // corrupted one (which fetch is the second depends on scheduling).
    }

    @ParameterizedTest(name = "HTTP {0}")
    @EnumSource(value = RangeServer.Fault.class, names = {"UNAVAILABLE", "TOO_MANY", "STALL", "SHORT_BODY",
        "LONG_BODY", "WRONG_RANGE", "IGNORE_RANGE"})
    void aMisbehavingHttpServerGivesRightBytesOrEio(RangeServer.Fault fault) throws Exception {
        SampleData.Sample sample = SampleData.generate(dir, 2, 200_000, 43);
        try (RangeServer server = new RangeServer().root(dir);
                HttpFetcher http = new HttpFetcher(SourceOptions.DEFAULTS.toBuilder()
                        .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(5)).build());
                Sources checking = Sources.open(sample.config())) {
            FaultInjector injector = new FaultInjector(FaultSpec.none());
            SourceResolver serving = SourceResolver.of(List.of(new SourceResolver.Route(
                    SourceRule.of("erofs,*", "sha256:*", server.uri("/") + "{cookie}"), injector.wrap(http))));
            server.fault(fault);
            CoreSettings settings = config(sample).coreSettings();

            FaultReplay.Report report = FaultReplay.run(settings, serving, checking.resolver(), sample.trace(),
                    injector, CoreListener.none(), line -> { });

            // How many READs the fault fails depends on the HTTP client's connection reuse; any number is right
            // as long as each is EIO and none is a wrong byte or a hang.
            assertHeld(report, -1);
            assertThat(report.outstanding()).isZero();
        }
    }
}
