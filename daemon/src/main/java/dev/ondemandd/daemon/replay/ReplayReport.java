package dev.ondemandd.daemon.replay;

import java.util.List;
import java.util.Locale;

/**
 * What a replay did and found.
 *
 * @param opens OPENs issued
 * @param reads READs issued
 * @param closes CLOSEs issued
 * @param bytes bytes read and checked
 * @param failures requests that failed (an OPEN refused, a READ with EIO, a CLOSE that threw)
 * @param mismatches answers that differ from the source or the trace (a size, a byte, a sha256)
 * @param elapsedNanos wall time of the whole replay
 * @param readLatencyP50Nanos median READ latency
 * @param readLatencyP99Nanos 99th percentile READ latency
 * @param findings one line per failure or mismatch (the first {@link #MAX_FINDINGS})
 */
public record ReplayReport(long opens, long reads, long closes, long bytes, long failures, long mismatches,
        long elapsedNanos, long readLatencyP50Nanos, long readLatencyP99Nanos, List<String> findings) {

    public static final int MAX_FINDINGS = 20;

    public ReplayReport {
        findings = List.copyOf(findings);
    }

    /** This report with {@code problems} added as failures. */
    public ReplayReport withFailures(List<String> problems) {
        List<String> all = new java.util.ArrayList<>(findings);
        for (String problem : problems) {
            if (all.size() < MAX_FINDINGS) {
                all.add(problem);
            }
        }
        return new ReplayReport(opens, reads, closes, bytes, failures + problems.size(), mismatches, elapsedNanos,
                readLatencyP50Nanos, readLatencyP99Nanos, all);
    }

    public long requests() {
        return opens + reads + closes;
    }

    /** True when nothing failed and nothing mismatched. */
    public boolean passed() {
        return failures == 0 && mismatches == 0;
    }

    /** Bytes per second over the whole replay. */
    public double throughputMiBps() {
        return elapsedNanos == 0 ? 0 : bytes / (1024.0 * 1024.0) / (elapsedNanos / 1e9);
    }

    /** The one-paragraph summary replay and demo print. */
    public String summary() {
        return String.format(Locale.ROOT, "%s: %d requests (%d opens, %d reads, %d closes), %s read in %.3f s"
                        + " (%.1f MiB/s); read latency p50 %.3f ms, p99 %.3f ms; %d failures, %d mismatches",
                passed() ? "PASSED" : "FAILED", requests(), opens, reads, closes, human(bytes), elapsedNanos / 1e9,
                throughputMiBps(), readLatencyP50Nanos / 1e6, readLatencyP99Nanos / 1e6, failures, mismatches);
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
