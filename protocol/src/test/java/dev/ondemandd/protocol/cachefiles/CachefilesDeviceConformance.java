package dev.ondemandd.protocol.cachefiles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.protocol.nativeio.Errno;
import dev.ondemandd.protocol.nativeio.ErrnoException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What any {@link CachefilesDevice} must do before a filesystem is involved: the setup commands and their
 * errors, read() gating, copen of unknown ids. Run against the simulated kernel everywhere and against the
 * real /dev/cachefiles where the kernel has it, so the two cannot drift apart.
 */
abstract class CachefilesDeviceConformance {

    @TempDir
    Path dir;

    CachefilesDevice device;
    final ByteBuffer buf = ByteBuffer.allocateDirect(CachefilesDevice.MSG_MAX_SIZE);

    abstract CachefilesDevice open() throws Exception;

    @BeforeEach
    void openDevice() throws Exception {
        device = open();
    }

    @AfterEach
    void closeDevice() throws Exception {
        if (device != null) { // null when open() skipped the test
            device.close();
        }
    }

    static void assertErrno(ThrowingCall call, int errno) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).as(e.getMessage()).isEqualTo(errno));
    }

    interface ThrowingCall {
        void run() throws Exception;
    }

    @Test
    void beforeTheBindReadsReturnNothingAndOndemandCommandsAreRefused() throws Exception {
        assertThat(device.read(buf.clear())).isZero();
        assertErrno(() -> device.command("copen 0,0"), Errno.EOPNOTSUPP);
        assertErrno(() -> device.command(CachefilesCommands.RESTORE), Errno.EOPNOTSUPP);
        assertErrno(() -> device.command(CachefilesCommands.BIND_ONDEMAND), Errno.EINVAL);
    }

    @Test
    void malformedAndUnknownCommandsAreRefused() {
        assertErrno(() -> device.command("frobnicate now"), Errno.EOPNOTSUPP);
        assertErrno(() -> device.command("tag a\0b"), Errno.EINVAL);
        assertErrno(() -> device.command("\ntag b"), Errno.EINVAL);
        assertErrno(() -> device.command("dir"), Errno.EINVAL);
        assertErrno(() -> device.command("tag " + "t".repeat(CachefilesConstants.COMMAND_MAX_BYTES)),
                Errno.EOPNOTSUPP);
    }

    @Test
    void dirAndTagAreSetOnce() throws Exception {
        device.command(CachefilesCommands.dir(dir.toString()));
        assertErrno(() -> device.command(CachefilesCommands.dir(dir.toString())), Errno.EEXIST);
        device.command(CachefilesCommands.tag("conformance"));
        assertErrno(() -> device.command(CachefilesCommands.tag("again")), Errno.EEXIST);
    }

    @Test
    void afterTheBindAnIdleDeviceReadsNothingAndRefusesUnknownIds() throws Exception {
        device.command(CachefilesCommands.dir(dir.toString()));
        device.command(CachefilesCommands.tag("conformance"));
        device.command(CachefilesCommands.BIND_ONDEMAND);
        assertThat(device.read(buf.clear())).isZero();
        assertThat(device.awaitRequest(50)).isFalse();
        assertErrno(() -> device.command(CachefilesCommands.copenSize(12345, 4096)), Errno.EINVAL);
        assertErrno(() -> device.command("copen 1"), Errno.EINVAL);
        device.command(CachefilesCommands.RESTORE);
        assertErrno(() -> device.command(CachefilesCommands.BIND_ONDEMAND), Errno.EBUSY);
    }
}
