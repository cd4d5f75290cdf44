package dev.ondemandd.protocol.cachefiles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ondemandd.protocol.nativeio.Errno;
import dev.ondemandd.protocol.nativeio.ErrnoException;
import dev.ondemandd.protocol.nativeio.PageAlignedBuffers;
import dev.ondemandd.protocol.nativeio.Posix;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device class over real fds. A pipe stands in for /dev/cachefiles where the code path is the same (write a
 * command, poll, read); the device itself is exercised where it exists (the VM kernel).
 */
class KernelCachefilesDeviceTest {

    @TempDir
    Path dir;

    @Test
    void commandsAreWrittenOnePerWriteAndReadsPollOverTheFd() throws Exception {
        int[] pipe = Posix.pipe(0);
        try (KernelCachefilesDevice writer = KernelCachefilesDevice.fromFd(pipe[1]);
                KernelCachefilesDevice reader = KernelCachefilesDevice.fromFd(pipe[0])) {
            assertThat(reader.awaitRequest(20)).isFalse();
            writer.command(CachefilesCommands.copenSize(5, 8192));
            assertThat(reader.awaitRequest(1000)).isTrue();
            ByteBuffer buf = ByteBuffer.allocateDirect(CachefilesDevice.MSG_MAX_SIZE);
            int n = reader.read(buf);
            assertThat(StandardCharsets.US_ASCII.decode(buf.flip()).toString()).isEqualTo("copen 5,8192");
            assertThat(n).isEqualTo(12);
            assertThat(reader.rawFd()).isEqualTo(pipe[0]);
        }
        assertThat(Posix.isOpen(pipe[0])).isFalse();
    }

    @Test
    void readNeedsRoomForTheLargestMessage() throws Exception {
        int[] pipe = Posix.pipe(0);
        try (KernelCachefilesDevice reader = KernelCachefilesDevice.fromFd(pipe[0])) {
            assertThatThrownBy(() -> reader.read(ByteBuffer.allocateDirect(1023)))
                    .isInstanceOf(IllegalArgumentException.class);
        } finally {
            Posix.close(pipe[1]);
        }
    }

    @Test
    void aFailedCommandCarriesTheKernelsErrno() throws Exception {
        int[] pipe = Posix.pipe(0);
        Posix.close(pipe[0]);
        try (KernelCachefilesDevice writer = KernelCachefilesDevice.fromFd(pipe[1])) {
            assertThatThrownBy(() -> writer.command("bind ondemand"))
                    .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPIPE))
                    .hasMessageContaining("'bind ondemand'");
        }
    }

    @Test
    void fromFdRefusesAClosedFd() {
        assertThatThrownBy(() -> KernelCachefilesDevice.fromFd(1_000_000)).isInstanceOf(ErrnoException.class);
    }

    @Test
    void objectFdWritesThroughAndClosesOnce() throws Exception {
        Path cache = dir.resolve("object");
        int fd = Posix.open(cache.toString(), Posix.O_RDWR | Posix.O_CREAT | Posix.O_CLOEXEC);
        int[] pipe = Posix.pipe(0);
        try (KernelCachefilesDevice device = KernelCachefilesDevice.fromFd(pipe[0])) {
            ObjectFd object = device.adopt(fd);
            int page = PageAlignedBuffers.pageSize();
            ByteBuffer data = PageAlignedBuffers.allocate(page);
            data.put(0, (byte) 42);
            object.write(data, page);
            assertThat(data.hasRemaining()).isFalse();
            assertThat(Files.readAllBytes(cache)).hasSize(2 * page).satisfies(b -> assertThat(b[page]).isEqualTo((byte) 42));
            // A regular file has no READ_COMPLETE ioctl; on the anon fd of a VM kernel this is the real one.
            assertThatThrownBy(() -> object.readComplete(1)).isInstanceOf(ErrnoException.class);
            object.close();
            object.close();
            assertThat(Posix.isOpen(fd)).isFalse();
        } finally {
            Posix.close(pipe[1]);
        }
    }

    @Test
    void openingAMissingDeviceSaysWhatToDo() {
        assertThatThrownBy(() -> KernelCachefilesDevice.open(dir.resolve("cachefiles").toString()))
                .isInstanceOf(ErrnoException.class).hasMessageContaining("modprobe cachefiles");
    }

    @Test
    @Tag("vm")
    void aSecondOpenOfTheRealDeviceIsEbusyWithAClearMessage() throws Exception {
        assumeTrue(Files.exists(Path.of(KernelCachefilesDevice.DEVICE_PATH)),
                "/dev/cachefiles is missing (cachefiles not loaded; the VM kernel has it)");
        try (KernelCachefilesDevice first = KernelCachefilesDevice.open()) {
            assertThatThrownBy(KernelCachefilesDevice::open)
                    .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBUSY))
                    .hasMessageContaining("another cachefiles daemon holds /dev/cachefiles");
            assertThat(first.read(ByteBuffer.allocateDirect(1024))).as("nothing before bind").isZero();
        }
    }
}
