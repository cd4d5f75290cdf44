package dev.ondemandd.protocol.nativeio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.protocol.fanotify.Fanotify;
import dev.ondemandd.protocol.fanotify.FanotifyEvent;
import dev.ondemandd.protocol.fanotify.FanotifyEventDecoder;
import dev.ondemandd.protocol.fanotify.FanotifyRange;
import dev.ondemandd.protocol.fanotify.MalformedEventException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real kernel: a marked sparse file, a reader blocked on a hole, the answer through the group. */
@Tag("root")
class FanotifyGroupTest {
    private static final int SIZE = 1 << 20;

    @TempDir
    Path dir;

    @BeforeEach
    void needsPreContentEvents() {
        PreContentSupport.assumeAvailable();
    }

    private Path sparseFile() throws IOException {
        Path f = dir.resolve("blob");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(SIZE);
        }
        return f;
    }

    private static FanotifyEvent nextEvent(FanotifyGroup g, ByteBuffer buf) throws IOException {
        assertThat(g.await(5000)).as("an event within 5 s").isTrue();
        buf.clear();
        g.read(buf);
        buf.flip();
        List<FanotifyEvent> events = new ArrayList<>();
        FanotifyEventDecoder.decode(buf, new FanotifyEventDecoder.Sink() {
            @Override
            public void event(FanotifyEvent event) {
                events.add(event);
            }

            @Override
            public void malformed(MalformedEventException error) {
                throw new AssertionError(error);
            }
        });
        assertThat(events).as("one reader, one event at a time").hasSize(1);
        return events.get(0);
    }

    @Test
    void aReadOfAMarkedFileWaitsForTheAnswerAndSeesWhatWasWrittenThroughTheEventFd() throws Exception {
        Path f = sparseFile();
        try (FanotifyGroup g = FanotifyGroup.open()) {
            g.markPreAccess(f);
            CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
                try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "r")) {
                    byte[] b = new byte[8192];
                    raf.seek(65536);
                    raf.readFully(b);
                    return b;
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            ByteBuffer buf = ByteBuffer.allocateDirect(4096);
            FanotifyEvent e = nextEvent(g, buf);
            assertThat(e.isPreAccess()).isTrue();
            assertThat(e.hasFd()).isTrue();
            FanotifyRange r = e.range().orElseThrow();
            assertThat(r.offset()).isEqualTo(65536);
            assertThat(r.count()).isGreaterThanOrEqualTo(8192);
            assertThat(FileId.of(e.fd())).isEqualTo(FileId.of(f));
            assertThat(reader).as("the reader waits for the answer").isNotDone();

            assertThat(Posix.seekData(e.fd(), 0)).as("all hole").isEqualTo(-1);
            ByteBuffer data = ByteBuffer.allocateDirect(65536);
            while (data.hasRemaining()) {
                data.put((byte) 0x5a);
            }
            data.flip();
            Posix.pwriteFully(e.fd(), data, 65536);
            assertThat(Posix.seekData(e.fd(), 0)).isEqualTo(65536);
            assertThat(Posix.seekHole(e.fd(), 65536)).isEqualTo(131072);
            g.respond(e.fd(), Fanotify.FAN_ALLOW);
            Posix.close(e.fd());

            byte[] expected = new byte[8192];
            Arrays.fill(expected, (byte) 0x5a);
            assertThat(reader.get(5, TimeUnit.SECONDS)).isEqualTo(expected);
        }
    }

    @Test
    void aDeniedReadFailsWithTheGivenErrno() throws Exception {
        Path f = sparseFile();
        try (FanotifyGroup g = FanotifyGroup.open()) {
            g.markPreAccess(f);
            CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
                try {
                    Files.readAllBytes(f);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            FanotifyEvent e = nextEvent(g, ByteBuffer.allocateDirect(4096));
            g.respond(e.fd(), Fanotify.denyErrno(ErrnoException.EIO));
            Posix.close(e.fd());
            assertThatThrownBy(() -> reader.get(5, TimeUnit.SECONDS)).hasRootCauseInstanceOf(IOException.class)
                    .rootCause().hasMessageContaining("Input/output error");
        }
    }

    @Test
    void markingAMissingFileSaysWhich() throws IOException {
        try (FanotifyGroup g = FanotifyGroup.open()) {
            assertThatThrownBy(() -> g.markPreAccess(dir.resolve("nope"))).isInstanceOf(ErrnoException.class)
                    .hasMessageContaining("nope").hasMessageContaining("ENOENT");
        }
    }

    @Test
    void unmountingANonMountpointSaysSo() {
        assertThatThrownBy(() -> Mounts.umount(dir, false)).isInstanceOf(ErrnoException.class)
                .hasMessageContaining("not a mountpoint");
        assertThatThrownBy(() -> Mounts.mountErofs(dir.resolve("missing.erofs"), dir, ""))
                .isInstanceOf(ErrnoException.class).hasMessageContaining("does not exist");
    }
}
