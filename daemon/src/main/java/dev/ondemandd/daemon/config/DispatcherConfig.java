package dev.ondemandd.daemon.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.ondemandd.daemon.core.CoreSettings;
import java.time.Duration;

/**
 * The {@code dispatcher} section; every key is optional and defaults to {@link CoreSettings#defaults()}.
 * Durations are written {@code "250ms"}, {@code "30s"}, {@code "2m"}; sizes as bytes or {@code "1MiB"}.
 */
public record DispatcherConfig(
        Integer concurrency,
        @JsonDeserialize(using = DurationDeserializer.class) Duration readDeadline,
        @JsonDeserialize(using = DurationDeserializer.class) Duration openDeadline,
        @JsonDeserialize(using = SizeDeserializer.class) Long bufferSize,
        @JsonDeserialize(using = DurationDeserializer.class) Duration drainTimeout) {

    /** The settings this section asks for, on top of the defaults. */
    CoreSettings toSettings() {
        CoreSettings d = CoreSettings.defaults();
        return new CoreSettings(
                concurrency != null ? concurrency : d.concurrency(),
                readDeadline != null ? readDeadline : d.readDeadline(),
                openDeadline != null ? openDeadline : d.openDeadline(),
                bufferSize != null ? (int) Math.min(Integer.MAX_VALUE, bufferSize) : d.bufferSize(),
                drainTimeout != null ? drainTimeout : d.drainTimeout());
    }
}
