package dev.ondemandd.daemon.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RefCountTest {

    @Test
    void openSetsOneEachReadAddsOneAndTheLastReleaseFrees() {
        RefCount refs = new RefCount();
        refs.retain();
        refs.retain();
        assertThat(refs.get()).isEqualTo(3);
        assertThat(refs.release()).isFalse();
        assertThat(refs.release()).isFalse();
        assertThat(refs.release()).isTrue();
    }

    @Test
    void aFreedObjectCannotBeRetainedOrReleasedAgain() {
        RefCount refs = new RefCount();
        assertThat(refs.release()).isTrue();
        assertThat(refs.tryRetain()).isFalse();
        assertThatThrownBy(refs::retain).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(refs::release).isInstanceOf(IllegalStateException.class);
        assertThat(refs.get()).isZero();
    }
}
