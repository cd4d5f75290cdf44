package dev.ondemandd.daemon.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SourceRuleTest {

    @Test
    void globsMatchWholeKeys() {
        SourceRule rule = SourceRule.of("erofs,*", "sha256:????*", "file:///srv/{cookie}");
        assertThat(rule.matches(ObjectKey.of("erofs,img", "sha256:abcd12"))).isTrue();
        assertThat(rule.matches(ObjectKey.of("erofs,img", "sha256:abc"))).isFalse();
        assertThat(rule.matches(ObjectKey.of("xerofs,img", "sha256:abcd12"))).isFalse();
        assertThat(SourceRule.of("a.b", "*", "file:///x").matches(ObjectKey.of("aXb", "c"))).as("dot is literal")
                .isFalse();
    }

    @Test
    void templatesExpandBothKeysPercentEncodingWhatAUrlCannotHold() {
        SourceRule rule = SourceRule.of("*", "*", "http://h/{volume}/{cookie}?x=1");
        assertThat(rule.expand(ObjectKey.of("erofs,img", "sha256:ab cd")))
                .contains(URI.create("http://h/erofs,img/sha256:ab%20cd?x=1"));
        SourceRule file = SourceRule.of("*", "*", "file:///srv/blobs/{cookie}");
        assertThat(file.expand(ObjectKey.of("v", "sha256:0123"))).contains(URI.create("file:///srv/blobs/sha256:0123"));
        assertThat(URI.create("file:///srv/blobs/" + SourceRule.percentEncode("a b%")).getPath())
                .isEqualTo("/srv/blobs/a b%");
    }

    @ParameterizedTest
    @ValueSource(strings = {"..", "a/b", "../x", "a\\b", "a\u0000b", "a\nb", "", ".", "x..y", "\u007f"})
    void keysThatCouldLeaveTheDirectoryAreRefused(String cookie) {
        SourceRule rule = SourceRule.of("*", "*", "file:///srv/blobs/{cookie}");
        assertThat(rule.expand(ObjectKey.of("v", cookie))).isEmpty();
    }

    @Test
    void aBinaryCookieIsMatchedAsHex() {
        ObjectKey key = new ObjectKey("v", new byte[] {(byte) 0xff, 0x00});
        assertThat(key.cookieText()).isEqualTo("hex:ff00");
        assertThat(SourceRule.of("*", "hex:*", "file:///b/{cookie}").expand(key)).contains(URI.create("file:///b/hex:ff00"));
    }

    @Test
    void badTemplatesAreRejectedWithAReason() {
        assertThatThrownBy(() -> SourceRule.of("*", "*", "/srv/{cookie}")).hasMessageContaining("no scheme");
        assertThatThrownBy(() -> SourceRule.of("*", "*", "file:///srv/{name}")).hasMessageContaining("{name}");
        assertThatThrownBy(() -> SourceRule.of("*", "*", "file:///srv/ {cookie}")).hasMessageContaining("not a URL");
    }
}
