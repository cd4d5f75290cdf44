package dev.ondemandd.daemon.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TraceReaderTest {

    private static final String SHA = "ab".repeat(32);
    private static final String OPEN = "{\"t_ns\":0,\"op\":\"open\",\"object\":1,\"volume\":\"erofs,img\",\"cookie\":\"img\","
            + "\"size\":8392704}";

    @Test
    void theIssuesExampleReads() throws Exception {
        Trace trace = TraceReader.read(new StringReader(OPEN + "\n"
                + "{\"t_ns\":1500,\"op\":\"read\",\"object\":1,\"off\":0,\"len\":65536,\"sha256\":\"" + SHA + "\"}\n"
                + "{\"t_ns\":9000,\"op\":\"close\",\"object\":1}\n"));
        assertThat(trace.header()).isEmpty();
        assertThat(trace.events()).containsExactly(
                new TraceEvent.Open(0, 1, "erofs,img", "img", 8392704),
                new TraceEvent.Read(1500, 1, 0, 65536, SHA),
                new TraceEvent.Close(9000, 1));
    }

    @Test
    void whatTheWriterWritesTheReaderReadsBack() throws Exception {
        List<TraceEvent> events = List.of(
                new TraceEvent.Open(5, 3, "erofs,\"quoted\"", "sha256:" + SHA, 10_000),
                new TraceEvent.Read(6, 3, 8192, 1808, null),
                new TraceEvent.Read(7, 3, 0, 10, SHA),
                new TraceEvent.Close(8, 3),
                new TraceEvent.Open(9, 4, "erofs,\"quoted\"", "sha256:" + SHA, 10_000));
        StringWriter out = new StringWriter();
        try (TraceWriter writer = new TraceWriter(out)) {
            writer.write(new TraceEvent.Header(TraceFormat.VERSION, "6.12.0", TraceFormat.CACHEFILES_LAYOUT));
            for (TraceEvent event : events) {
                writer.write(event);
            }
        }
        Trace trace = TraceReader.read(new StringReader(out.toString()));
        assertThat(trace.header()).contains(new TraceEvent.Header(1, "6.12.0", TraceFormat.CACHEFILES_LAYOUT));
        assertThat(trace.events()).isEqualTo(events);
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            {"t_ns":1,"op":"read","object":1,"off":0,"len":1                       | not valid JSON
            [1,2]                                                                  | expected a JSON object
            {"t_ns":1,"op":"seek","object":1}                                      | unknown op 'seek'
            {"t_ns":1,"op":"read","object":1,"off":0,"len":1,"extra":2}            | unknown key 'extra'
            {"t_ns":1,"op":"read","object":1,"off":0}                              | missing key 'len'
            {"t_ns":1,"op":"read","object":1,"off":-1,"len":1}                     | 'off' must be a non-negative integer
            {"t_ns":1,"op":"read","object":1,"off":0.5,"len":1}                    | 'off' must be a non-negative integer
            {"t_ns":1,"op":"read","object":1,"off":"0","len":1}                    | 'off' must be a non-negative integer
            {"t_ns":1,"op":"read","object":1,"off":0,"len":1,"sha256":"ABC"}       | 'sha256' must be 64 lower-case hex digits
            {"t_ns":1,"op":"read","object":2,"off":0,"len":1}                      | read of object 2, which is not open
            {"t_ns":1,"op":"read","object":1,"off":8392704,"len":1}                | goes past the end of object 1
            {"t_ns":1,"op":"close","object":2}                                     | close of object 2, which is not open
            {"t_ns":1,"op":"open","object":1,"volume":"v","cookie":"c","size":1}   | opened again before its close
            {"op":"header","format":1,"kernel":"k","layout":"l"}                   | a header may only be the first line
            {"t_ns":1,"op":"close","object":1,"object":1}                          | not valid JSON
            """)
    void aMalformedSecondLineIsAnErrorNamingLineTwo(String line, String problem) {
        assertThatThrownBy(() -> TraceReader.read(new StringReader(OPEN + "\n" + line + "\n")))
                .isInstanceOfSatisfying(TraceFormatException.class, e -> assertThat(e.line()).isEqualTo(2))
                .hasMessageStartingWith("line 2: ").hasMessageContaining(problem.strip());
    }

    @Test
    void aTraceOfANewerFormatIsRefused() {
        assertThatThrownBy(() -> TraceReader.read(new StringReader("{\"op\":\"header\",\"format\":2,\"kernel\":\"k\","
                + "\"layout\":\"l\"}\n"))).hasMessageContaining("format 2 is not supported");
    }
}
