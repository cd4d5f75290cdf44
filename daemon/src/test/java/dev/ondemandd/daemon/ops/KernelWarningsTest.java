package dev.ondemandd.daemon.ops;

import static dev.ondemandd.daemon.ops.KernelWarnings.Path.CACHEFILES;
import static dev.ondemandd.daemon.ops.KernelWarnings.Path.FANOTIFY;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class KernelWarningsTest {

    private static List<String> texts(String release, KernelWarnings.Path path) {
        return KernelWarnings.check(KernelVersion.parse(release), path).stream()
                .map(KernelWarnings.Warning::text).toList();
    }

    @Test
    void anOldOnDemandKernelLacksEverythingLater() {
        assertThat(texts("5.19.0", CACHEFILES)).hasSize(4).satisfiesExactly(
                t -> assertThat(t).contains("unfairly before 6.0-rc4"),
                t -> assertThat(t).contains("domain_id"),
                t -> assertThat(t).contains("restore"),
                t -> assertThat(t).contains("2024"));
    }

    @Test
    void eachBoundaryClearsItsWarning() {
        assertThat(texts("6.0-rc3", CACHEFILES)).anyMatch(t -> t.contains("unfairly"));
        assertThat(texts("6.0-rc4", CACHEFILES)).noneMatch(t -> t.contains("unfairly"));
        assertThat(texts("6.0.19", CACHEFILES)).anyMatch(t -> t.contains("domain_id"));
        assertThat(texts("6.1.0", CACHEFILES)).noneMatch(t -> t.contains("domain_id"));
        assertThat(texts("6.7.12", CACHEFILES)).anyMatch(t -> t.contains("restore"));
        assertThat(texts("6.8.0", CACHEFILES)).noneMatch(t -> t.contains("restore"));
        assertThat(texts("6.9.12", CACHEFILES)).anyMatch(t -> t.contains("2024"));
        assertThat(texts("6.10.0", CACHEFILES)).isEmpty();
        assertThat(texts("6.11.11", CACHEFILES)).isEmpty();
    }

    @Test
    void fscacheIsDeprecatedFrom612AndGoneIn72() {
        assertThat(texts("6.12.0", CACHEFILES)).singleElement().asString().contains("deprecated");
        assertThat(KernelWarnings.unusable(KernelWarnings.check(KernelVersion.parse("6.18.44-fc-v657"), CACHEFILES)))
                .isFalse();
        var removed = KernelWarnings.check(KernelVersion.parse("7.2.0"), CACHEFILES);
        assertThat(KernelWarnings.unusable(removed)).isTrue();
        assertThat(removed).singleElement().extracting(KernelWarnings.Warning::text).asString()
                .contains("fanotify");
    }

    @Test
    void beforeOnDemandModeCachefilesIsUnusable() {
        assertThat(KernelWarnings.unusable(KernelWarnings.check(KernelVersion.parse("5.15.0"), CACHEFILES))).isTrue();
    }

    @Test
    void fanotifyNeedsPreContentEvents() {
        assertThat(KernelWarnings.unusable(KernelWarnings.check(KernelVersion.parse("6.13.5"), FANOTIFY))).isTrue();
        assertThat(KernelWarnings.check(KernelVersion.parse("6.14.0"), FANOTIFY)).isEmpty();
        assertThat(KernelWarnings.check(KernelVersion.parse("7.3.0"), FANOTIFY)).isEmpty();
    }
}
