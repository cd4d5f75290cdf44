package dev.ondemandd.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountBufferSizeTest {

    @Test
    void localBlobsAreCopiedInSmallBuffersAndRemoteOnesAWholeFillUnitPerRequest() {
        assertThat(MountCommand.bufferSize(List.of(URI.create("file:///srv/a.blob"), URI.create("file:/b"))))
                .isEqualTo(MountCommand.DEFAULT_BUFFER_SIZE);
        assertThat(MountCommand.bufferSize(List.of(URI.create("file:///srv/a.blob"),
                URI.create("http://127.0.0.1:8080/b.blob")))).isEqualTo(MountCommand.REMOTE_BUFFER_SIZE);
        assertThat(MountCommand.REMOTE_BUFFER_SIZE).isGreaterThan(MountCommand.DEFAULT_BUFFER_SIZE);
    }
}
