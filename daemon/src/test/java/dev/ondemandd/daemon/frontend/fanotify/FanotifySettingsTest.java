package dev.ondemandd.daemon.frontend.fanotify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.daemon.core.FetchPolicy;
import org.junit.jupiter.api.Test;

/** Which unit a blob is filled in: its image's chunk size unless a unit was configured. */
class FanotifySettingsTest {

    private static final int KIB = 1024;
    private static final int MIB = 1024 * KIB;

    @Test
    void byDefaultABlobIsFilledInItsImagesChunkSizeWithinSaneBounds() {
        FanotifySettings settings = FanotifySettings.defaults();
        assertThat(settings.unitFromImage()).isTrue();
        assertThat(settings.unitFor(64 * KIB)).isEqualTo(64 * KIB);
        assertThat(settings.unitFor(256 * KIB)).isEqualTo(256 * KIB);
        assertThat(settings.unitFor(4 * KIB)).as("rebuilt layers: a chunk per block").isEqualTo(64 * KIB);
        assertThat(settings.unitFor(8 * MIB)).as("a file stored whole is one chunk").isEqualTo(MIB);
        assertThat(settings.unitFor(0)).as("no chunk points into the blob").isEqualTo(MIB);
    }

    @Test
    void theFillAheadWindowStaysTheSameNumberOfBytes() {
        FanotifySettings settings = FanotifySettings.defaults();
        assertThat(settings.fillAheadFor(MIB)).isEqualTo(settings.fillAhead());
        assertThat(settings.fillAheadFor(64 * KIB)).isEqualTo(settings.fillAhead() * 16);
        assertThat(settings.withFillAhead(0).fillAheadFor(64 * KIB)).isZero();
        assertThat(settings.withFillAhead(FanotifySettings.MAX_FILL_AHEAD).fillAheadFor(64 * KIB))
                .isEqualTo(FanotifySettings.MAX_FILL_AHEAD);
    }

    @Test
    void aConfiguredUnitFillsEveryBlobWhateverItsChunks() {
        FetchPolicy policy = FetchPolicy.defaults().withUnit(256 * KIB);
        FanotifySettings configured = FanotifySettings.shapedBy(policy, true);
        assertThat(configured.unitFromImage()).isFalse();
        assertThat(configured.unitFor(64 * KIB)).isEqualTo(256 * KIB);
        assertThat(FanotifySettings.defaults().withUnitSize(128 * KIB).unitFor(64 * KIB)).isEqualTo(128 * KIB);

        FanotifySettings fromImage = FanotifySettings.shapedBy(FetchPolicy.defaults(), false);
        assertThat(fromImage.unitFromImage()).isTrue();
        assertThat(fromImage.unitFor(64 * KIB)).isEqualTo(64 * KIB);
    }

    @Test
    void aMountsReadaheadIsTheUnitUpToTheCap() {
        assertThat(FanotifySettings.defaults().readaheadKb()).isEqualTo(FanotifySettings.MOUNT_READAHEAD_CAP_KB);
        assertThat(FanotifySettings.shapedBy(FetchPolicy.defaults().withUnit(64 * KIB), true).readaheadKb())
                .isEqualTo(64);
        assertThat(FanotifySettings.shapedBy(FetchPolicy.defaults().withUnit(4 * MIB), true).readaheadKb())
                .as("larger batches build larger folios").isEqualTo(FanotifySettings.MOUNT_READAHEAD_CAP_KB);
        assertThat(FanotifySettings.shapedBy(FetchPolicy.defaults().withUnit(4 * KIB), true).readaheadKb())
                .isEqualTo(4);
    }
}
