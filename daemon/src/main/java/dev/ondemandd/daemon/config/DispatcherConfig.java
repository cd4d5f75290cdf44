package dev.ondemandd.daemon.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.FetchPolicy;
import java.time.Duration;

/**
 * The {@code dispatcher} section; every key is optional and defaults to {@link CoreSettings#defaults()} and
 * {@link FetchPolicy#defaults()}. Durations are written {@code "250ms"}, {@code "30s"}, {@code "2m"}; sizes as
 * bytes or {@code "1MiB"}. {@code amplifyUnit}, {@code readaheadMax}, {@code merge}, {@code maxBytesInFlight}
 * and {@code prefetchConcurrency} are the {@link FetchPolicy}'s (for the fanotify frontend the unit is its fill
 * unit and the read-ahead its fill-ahead).
 */
public record DispatcherConfig(
        Integer concurrency,
        @JsonDeserialize(using = DurationDeserializer.class) Duration readDeadline,
        @JsonDeserialize(using = DurationDeserializer.class) Duration openDeadline,
        @JsonDeserialize(using = SizeDeserializer.class) Long bufferSize,
        @JsonDeserialize(using = DurationDeserializer.class) Duration drainTimeout,
        @JsonDeserialize(using = SizeDeserializer.class) Long amplifyUnit,
        @JsonDeserialize(using = SizeDeserializer.class) Long readaheadMax,
        Boolean merge,
        @JsonDeserialize(using = SizeDeserializer.class) Long maxBytesInFlight,
        Integer prefetchConcurrency) {

    /** The settings this section asks for, on top of the defaults. */
    CoreSettings toSettings() {
        CoreSettings d = CoreSettings.defaults();
        return new CoreSettings(
                concurrency != null ? concurrency : d.concurrency(),
                readDeadline != null ? readDeadline : d.readDeadline(),
                openDeadline != null ? openDeadline : d.openDeadline(),
                bufferSize != null ? (int) Math.min(Integer.MAX_VALUE, bufferSize) : d.bufferSize(),
                drainTimeout != null ? drainTimeout : d.drainTimeout(),
                toFetchPolicy());
    }

    /** The fetch policy this section asks for, on top of its defaults. */
    FetchPolicy toFetchPolicy() {
        FetchPolicy d = FetchPolicy.defaults();
        return new FetchPolicy(
                amplifyUnit != null ? (int) Math.min(Integer.MAX_VALUE, amplifyUnit) : d.unit(),
                readaheadMax != null ? readaheadMax : d.readaheadMax(),
                merge != null ? merge : d.merge(),
                maxBytesInFlight != null ? maxBytesInFlight : d.maxBytesInFlight(),
                prefetchConcurrency != null ? prefetchConcurrency : d.prefetchConcurrency());
    }
}
