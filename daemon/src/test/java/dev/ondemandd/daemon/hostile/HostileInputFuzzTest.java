package dev.ondemandd.daemon.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.daemon.config.ConfigException;
import dev.ondemandd.daemon.config.ConfigLoader;
import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.control.ControlException;
import dev.ondemandd.daemon.control.ControlProtocol;
import dev.ondemandd.daemon.faults.FaultSpec;
import dev.ondemandd.daemon.faults.FaultSpecException;
import dev.ondemandd.daemon.trace.TraceFormatException;
import dev.ondemandd.daemon.trace.TraceReader;
import dev.ondemandd.fetchers.FetcherRegistry;
import dev.ondemandd.fetchers.file.FileFetcher;
import dev.ondemandd.fetchers.testing.Fuzz;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile bytes from operators' files and local clients (seeded mutation fuzzing, {@link Fuzz}): the config
 * loader, the trace reader, the control-socket protocol and the {@code --faults} spec. Each throws only its
 * typed error (which the CLI turns into exit 2 / an error reply), never anything else, and no input hangs.
 */
@Timeout(1800)
class HostileInputFuzzTest {

    private static final List<String> JSON_TOKENS = List.of("{", "}", "[", "]", "\"", ":", ",", "null", "true",
            "-1", "0", "1e999", "9223372036854775808", "\"30s\"", "\"1MiB\"", "\"-5ms\"", "\"99999999999h\"",
            "\\u0000", "\"*\"", "\"{cookie}\"", "\"..\"", "\"file:///\"", "\"http://x/\"");

    @Test
    void theConfigLoaderAcceptsOrRefusesWithAConfigException() throws Exception {
        String example = """
                {"cachefiles": {"dir": "/var/cache/ondemandd", "tag": "ondemandd"},
                 "sources": [{"volume": "erofs,*", "cookie": "sha256:*", "url": "file:///srv/blobs/{cookie}"},
                             {"volume": "erofs,*", "cookie": "*", "url": "file:///srv/images/{cookie}.erofs"}],
                 "dispatcher": {"concurrency": 16, "readDeadline": "30s", "openDeadline": "30s",
                                "bufferSize": "1MiB", "drainTimeout": "35s"}}""";
        try (FetcherRegistry fetchers = FetcherRegistry.of(new FileFetcher())) {
            var r = Fuzz.run("config", 11, Fuzz.inputs(), Fuzz.corpus(example,
                    "{\"sources\":[{\"url\":\"file:///b/{volume}/{cookie}\"}],\"dispatcher\":{\"bufferSize\":4096}}"),
                    JSON_TOKENS, input -> {
                        DaemonConfig config = ConfigLoader.parse(new String(input, StandardCharsets.UTF_8));
                        // What run does next with an accepted configuration must not throw untyped either.
                        config.coreSettings();
                        config.resolver(fetchers);
                    }, ConfigException.class);
            assertThat(r.accepted()).isPositive();
            assertThat(r.rejected()).isPositive();
        }
    }

    @Test
    void theTraceReaderAcceptsOrRefusesWithATraceFormatException() {
        String trace = """
                {"op":"header","format":1,"kernel":"6.18.0","layout":"cachefiles-6.12"}
                {"t_ns":1,"op":"open","object":1,"volume":"erofs,x","cookie":"sha256:ab","size":5000}
                {"t_ns":2,"op":"read","object":1,"off":0,"len":4096,"sha256":"%s"}
                {"t_ns":3,"op":"close","object":1}
                """.formatted("0".repeat(64));
        var r = Fuzz.run("trace", 12, Fuzz.inputs(), Fuzz.corpus(trace, trace.lines().skip(1).findFirst().get()),
                List.of("\n", "{\"op\":\"read\",", "\"object\":1", "\"len\":", "\"off\":", "\"t_ns\":", ",", "}",
                        "\"sha256\":", "-1", "1.5", "9223372036854775807"),
                input -> TraceReader.read(new StringReader(new String(input, StandardCharsets.UTF_8))),
                TraceFormatException.class);
        assertThat(r.accepted()).isPositive();
        assertThat(r.rejected()).isPositive();
    }

    @Test
    void theControlProtocolAcceptsOrRefusesWithItsTypedErrors() {
        var r = Fuzz.run("control-request", 13, Fuzz.inputs(), Fuzz.corpus("{\"cmd\":\"status\"}\n",
                "{\"cmd\":\"version\",\"verbose\":true}\n", "{\"cmd\":\"status\"}\n{\"cmd\":\"status\"}\n"),
                JSON_TOKENS, input -> {
                    ByteArrayInputStream in = new ByteArrayInputStream(input);
                    String line;
                    while ((line = ControlProtocol.readLine(in, ControlProtocol.MAX_REQUEST_BYTES)) != null) {
                        ControlProtocol.parseRequest(line);
                    }
                }, ControlException.class, IOException.class);
        assertThat(r.accepted()).isPositive();
        assertThat(r.rejected()).isPositive();
    }

    @Test
    void theFaultSpecAcceptsOrRefusesWithAFaultSpecException() {
        var r = Fuzz.run("faults-spec", 14, Fuzz.inputs(), Fuzz.corpus("error:5@2,timeout@3,slow:20",
                "close-mid-fetch@4,duplicate-read,unmatched-open"),
                List.of(",", ":", "@", "error", "slow", "99999999999999999999", "-1"),
                input -> FaultSpec.parse(new String(input, StandardCharsets.UTF_8)), FaultSpecException.class);
        assertThat(r.accepted()).isPositive();
        assertThat(r.rejected()).isPositive();
    }
}
