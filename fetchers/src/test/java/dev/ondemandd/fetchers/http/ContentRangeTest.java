package dev.ondemandd.fetchers.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ContentRangeTest {

    @Test
    void parsesARangeWithItsTotal() {
        assertThat(ContentRange.parse("bytes 10-19/100")).contains(new ContentRange(10, 19, 100));
        assertThat(ContentRange.parse("bytes 0-0/*")).contains(new ContentRange(0, 0, -1));
        assertThat(ContentRange.parse("bytes */42")).contains(new ContentRange(-1, -1, 42));
        assertThat(ContentRange.parse("bytes 10-19/100").orElseThrow().length()).isEqualTo(10);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "bytes", "bytes 10-19", "bytes 19-10/100", "bytes 10-100/100", "items 1-2/3",
            "bytes -1-2/3", "bytes 1-2/x", "bytes 1-9999999999999999999/99999999999999999999", "bytes */*",
            "bytes 1--2/5"})
    void refusesMalformedValues(String value) {
        assertThat(ContentRange.parse(value)).isEmpty();
    }
}
