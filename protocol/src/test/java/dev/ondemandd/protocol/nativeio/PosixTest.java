package dev.ondemandd.protocol.nativeio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PosixTest {

    @TempDir
    Path dir;

    NativeFile file;
    int page = PageAlignedBuffers.pageSize();

    @BeforeEach
    void openSparseFile() throws Exception {
        file = NativeFile.open(dir.resolve("cache").toString(), Posix.O_RDWR | Posix.O_CREAT | Posix.O_EXCL);
    }

    @AfterEach
    void closeFile() throws Exception {
        file.close();
    }

    static ByteBuffer direct(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocateDirect(b.length).put(b).flip();
    }

    @Test
    void pwriteThenPreadAtOffsetsAdvancesBufferPositions() throws Exception {
        ByteBuffer src = direct("hello, cache");
        assertThat(Posix.pwrite(file.fd(), src, 100)).isEqualTo(12);
        assertThat(src.hasRemaining()).isFalse();
        ByteBuffer dst = ByteBuffer.allocateDirect(12);
        assertThat(Posix.pread(file.fd(), dst, 100)).isEqualTo(12);
        assertThat(StandardCharsets.US_ASCII.decode(dst.flip()).toString()).isEqualTo("hello, cache");
        assertThat(Files.size(dir.resolve("cache"))).isEqualTo(112);
    }

    @Test
    void buffersNotAtPositionZeroUseTheirPosition() throws Exception {
        ByteBuffer src = direct("xxxxDATA");
        src.position(4);
        file.pwriteFully(src, 0);
        ByteBuffer dst = ByteBuffer.allocateDirect(16);
        dst.position(8);
        assertThat(file.pread(dst, 0)).isEqualTo(4);
        assertThat(dst.position()).isEqualTo(12);
        dst.flip().position(8);
        assertThat(StandardCharsets.US_ASCII.decode(dst).toString()).isEqualTo("DATA");
    }

    @Test
    void preadPastTheEndReadsNothing() throws Exception {
        assertThat(file.pread(ByteBuffer.allocateDirect(8), 1 << 20)).isZero();
    }

    @Test
    void heapBuffersAreRefused() {
        assertThatThrownBy(() -> file.pread(ByteBuffer.allocate(8), 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void seekDataAndSeekHoleFindTheFilledRangesOfASparseFile() throws Exception {
        file.truncate(16L * page);
        ByteBuffer block = PageAlignedBuffers.allocate(page);
        file.pwriteFully(block, 4L * page);
        assertThat(file.seekData(0)).isEqualTo(4L * page);
        assertThat(file.seekHole(4L * page)).isEqualTo(5L * page);
        assertThat(file.seekData(5L * page)).as("no data after the block").isEqualTo(-1);
        assertThat(file.seekHole(16L * page)).as("at the end").isEqualTo(-1);
        assertThat(file.size()).isEqualTo(16L * page);
    }

    @Test
    void fallocatePunchesHoles() throws Exception {
        file.pwriteFully(PageAlignedBuffers.allocate(4 * page), 0);
        file.fallocate(Posix.FALLOC_FL_PUNCH_HOLE | Posix.FALLOC_FL_KEEP_SIZE, page, page);
        assertThat(file.seekHole(0)).isEqualTo(page);
        assertThat(file.seekData(page)).isEqualTo(2L * page);
        assertThat(file.size()).isEqualTo(4L * page);
    }

    @Test
    void pollTimesOutOnAnEmptyPipeAndSeesDataWhenWritten() throws Exception {
        int[] pipe = Posix.pipe(0);
        try {
            long start = System.nanoTime();
            assertThat(Posix.poll(pipe[0], Posix.POLLIN, 50)).isZero();
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(40_000_000L);
            assertThat(Posix.write(pipe[1], direct("x"))).isEqualTo(1);
            assertThat(Posix.poll(pipe[0], Posix.POLLIN, 1000) & Posix.POLLIN).isEqualTo(Posix.POLLIN);
            ByteBuffer one = ByteBuffer.allocateDirect(4);
            assertThat(Posix.read(pipe[0], one)).isEqualTo(1);
        } finally {
            Posix.close(pipe[0]);
            Posix.close(pipe[1]);
        }
    }

    @Test
    void nonBlockingReadOfAnEmptyPipeSaysEagain() throws Exception {
        int[] pipe = Posix.pipe(Posix.O_NONBLOCK);
        try {
            ErrnoException e = org.assertj.core.api.Assertions.catchThrowableOfType(ErrnoException.class,
                    () -> Posix.read(pipe[0], ByteBuffer.allocateDirect(4)));
            assertThat(e.errno()).isEqualTo(Errno.EAGAIN);
        } finally {
            Posix.close(pipe[0]);
            Posix.close(pipe[1]);
        }
    }

    @Test
    void ioctlOnARegularFileFailsWithTheKernelsErrno() {
        // A regular file has no CACHEFILES_IOC_READ_COMPLETE: ENOTTY, carried as an ErrnoException.
        assertThatThrownBy(() -> file.ioctl(0x40049801, 1))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOTTY));
    }

    @Test
    void errorsNameTheCallTheSubjectAndTheErrno() {
        String missing = dir.resolve("missing").toString();
        assertThatThrownBy(() -> Posix.open(missing, Posix.O_RDONLY))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT))
                .hasMessage("open(" + missing + "): No such file or directory (ENOENT)");
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseIsEbadf() throws Exception {
        int fd = file.fd();
        file.close();
        file.close();
        assertThat(file.fd()).isEqualTo(-1);
        assertThat(Posix.isOpen(fd)).isFalse();
        assertThatThrownBy(() -> file.pread(ByteBuffer.allocateDirect(1), 0))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
    }

    @Test
    void adoptRefusesAnFdThatIsNotOpen() {
        assertThatThrownBy(() -> NativeFile.adopt(1_000_000, "nothing"))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
    }

    @Test
    void dupGivesANewFdToTheSameFile() throws Exception {
        int copy = Posix.dup(file.fd());
        try {
            assertThat(copy).isNotEqualTo(file.fd());
            Posix.pwriteFully(copy, direct("via dup"), 0);
            assertThat(file.size()).isEqualTo(7);
        } finally {
            Posix.close(copy);
        }
    }

    @Test
    void errnoNamesAndDescriptions() {
        assertThat(Errno.name(Errno.EBUSY)).isEqualTo("EBUSY");
        assertThat(Errno.name(Errno.ENOBUFS)).isEqualTo("ENOBUFS");
        assertThat(Errno.name(4000)).isEqualTo("errno 4000");
        assertThat(Errno.describe(Errno.EBUSY)).isEqualTo("Device or resource busy");
    }
}
