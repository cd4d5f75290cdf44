package dev.ondemandd.protocol.cachefiles.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.protocol.cachefiles.CachefilesCodec;
import dev.ondemandd.protocol.cachefiles.CachefilesCommands;
import dev.ondemandd.protocol.cachefiles.CachefilesMessage;
import dev.ondemandd.protocol.cachefiles.CloseMessage;
import dev.ondemandd.protocol.cachefiles.ObjectFd;
import dev.ondemandd.protocol.cachefiles.OpenMessage;
import dev.ondemandd.protocol.cachefiles.ReadMessage;
import dev.ondemandd.protocol.nativeio.Errno;
import dev.ondemandd.protocol.nativeio.ErrnoException;
import dev.ondemandd.protocol.nativeio.PageAlignedBuffers;
import dev.ondemandd.protocol.nativeio.Posix;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulated kernel against the behaviour of fs/cachefiles/ondemand.c; the test plays the daemon by hand. */
class SimulatedCachefilesKernelTest {

    static final Duration WAIT = Duration.ofSeconds(5);
    static final Duration SHORT = Duration.ofMillis(150);
    static final String VOLUME = "erofs,domain";
    static final byte[] IMAGE = "image-fsid".getBytes(StandardCharsets.US_ASCII);
    static final int PAGE = PageAlignedBuffers.pageSize();

    @TempDir
    Path dir;

    SimulatedCachefilesKernel kernel;
    ExecutorService filesystem;
    final ByteBuffer buf = ByteBuffer.allocateDirect(1024);

    @BeforeEach
    void start() {
        kernel = new SimulatedCachefilesKernel();
        filesystem = Executors.newSingleThreadExecutor(r -> new Thread(r, "sim-filesystem"));
    }

    @AfterEach
    void stop() throws Exception {
        filesystem.shutdownNow();
        kernel.shutdown();
    }

    void bind() throws Exception {
        kernel.command(CachefilesCommands.dir(dir.toString()));
        kernel.command(CachefilesCommands.tag("ondemandd"));
        kernel.command(CachefilesCommands.BIND_ONDEMAND);
    }

    <T> Future<T> async(Callable<T> call) {
        return filesystem.submit(call);
    }

    /**
     * read() one message as a daemon loop does: poll, read, and poll again when read() returns 0 (it does when
     * the pending request was a READ that first needs its object re-opened).
     */
    CachefilesMessage next() throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(kernel.awaitRequest(5000)).as("a request is pending").isTrue();
            buf.clear();
            if (kernel.read(buf) > 0) {
                return CachefilesCodec.decode(buf.flip());
            }
        }
        throw new AssertionError("no message within " + WAIT);
    }

    int readNothing() throws Exception {
        buf.clear();
        return kernel.read(buf);
    }

    /** Opens a cookie with the test answering the OPEN with {@code size}. */
    Opened open(byte[] cookie, long size) throws Exception {
        Future<OpenResult> result = async(() -> kernel.open(VOLUME, cookie, WAIT));
        OpenMessage open = (OpenMessage) next();
        kernel.command(CachefilesCommands.copenSize(open.msgId(), size));
        OpenResult r = result.get(5, TimeUnit.SECONDS);
        assertThat(r).isInstanceOf(OpenResult.Opened.class);
        return new Opened(((OpenResult.Opened) r).object(), open, kernel.adopt(open.fd()));
    }

    record Opened(SimObject object, OpenMessage message, ObjectFd fd) {
    }

    static ByteBuffer pages(int n, int seed) {
        ByteBuffer b = PageAlignedBuffers.allocate(n * PAGE);
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, (byte) (i * 31 + seed));
        }
        return b;
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.capacity()];
        b.duplicate().clear().get(out);
        return out;
    }

    @Nested
    class Commands {

        @Test
        void requestsFlowOnlyAfterBindOndemand() throws Exception {
            Future<OpenResult> result = async(() -> kernel.open(VOLUME, IMAGE, WAIT));
            Thread.sleep(50);
            assertThat(readNothing()).as("read() before bind returns 0").isZero();
            assertThat(kernel.awaitRequest(20)).isFalse();
            bind();
            OpenMessage open = (OpenMessage) next();
            assertThat(open.volumeKey()).isEqualTo(VOLUME);
            assertThat(open.cookieKey()).isEqualTo(IMAGE);
            kernel.command(CachefilesCommands.copenSize(open.msgId(), 3 * PAGE));
            assertThat(result.get(5, TimeUnit.SECONDS)).isInstanceOfSatisfying(OpenResult.Opened.class,
                    o -> assertThat(o.size()).isEqualTo(3 * PAGE));
            assertThat(kernel.tag()).isEqualTo("ondemandd");
            assertThat(kernel.cacheDirectory()).isEqualTo(dir.resolve("cache"));
        }

        @Test
        void setupErrorsAreTheKernels() throws Exception {
            assertErrno(() -> kernel.command("copen 0,0"), Errno.EOPNOTSUPP);
            assertErrno(() -> kernel.command("restore"), Errno.EOPNOTSUPP);
            assertErrno(() -> kernel.command(CachefilesCommands.BIND_ONDEMAND), Errno.EINVAL); // no dir yet
            assertErrno(() -> kernel.command("dir"), Errno.EINVAL);
            kernel.command("dir " + dir.resolve("missing"));
            assertErrno(() -> kernel.command("dir " + dir), Errno.EEXIST);
            assertErrno(() -> kernel.command(CachefilesCommands.BIND_ONDEMAND), Errno.ENOENT);
            assertErrno(() -> kernel.command("bind bogus"), Errno.EINVAL);
            assertErrno(() -> kernel.command("frobnicate"), Errno.EOPNOTSUPP);
            assertErrno(() -> kernel.command(" dir x"), Errno.EOPNOTSUPP);
            assertErrno(() -> kernel.command("tag a\0b"), Errno.EINVAL);
            assertErrno(() -> kernel.command("\ntag x"), Errno.EINVAL);
            assertErrno(() -> kernel.command("tag " + "x".repeat(4092)), Errno.EOPNOTSUPP);
        }

        @Test
        void aNewlineEndsTheCommandAndBindTwiceIsBusy() throws Exception {
            kernel.command("dir " + dir + "\nignored");
            kernel.command(CachefilesCommands.BIND_ONDEMAND);
            assertThat(kernel.cacheDirectory()).isEqualTo(dir.resolve("cache"));
            assertThat(kernel.tag()).as("default tag").isEqualTo("CacheFiles");
            assertErrno(() -> kernel.command(CachefilesCommands.BIND_ONDEMAND), Errno.EBUSY);
        }

        @Test
        void copenValidationFollowsCachefilesOndemandCopen() throws Exception {
            bind();
            assertErrno(() -> kernel.command("copen 7,100"), Errno.EINVAL); // no such msg_id
            assertErrno(() -> kernel.command("copen 7"), Errno.EINVAL);
            assertErrno(() -> kernel.command("copen x,1"), Errno.EINVAL);

            Future<OpenResult> enoent = async(() -> kernel.open(VOLUME, IMAGE, WAIT));
            kernel.command(CachefilesCommands.copenError(next().msgId(), Errno.ENOENT));
            assertThat(enoent.get(5, TimeUnit.SECONDS)).isEqualTo(new OpenResult.Failed(Errno.ENOENT));

            Future<OpenResult> tooNegative = async(() -> kernel.open(VOLUME, IMAGE, WAIT));
            int id = next().msgId();
            assertErrno(() -> kernel.command("copen " + id + ",-5000"), Errno.EINVAL);
            assertThat(tooNegative.get(5, TimeUnit.SECONDS)).isEqualTo(new OpenResult.Failed(Errno.EINVAL));

            Future<OpenResult> badSize = async(() -> kernel.open(VOLUME, IMAGE, WAIT));
            int id2 = next().msgId();
            assertErrno(() -> kernel.command("copen " + id2 + ",12abc"), Errno.EINVAL);
            assertThat(badSize.get(5, TimeUnit.SECONDS)).isEqualTo(new OpenResult.Failed(Errno.EINVAL));

            Future<OpenResult> hex = async(() -> kernel.open(VOLUME, IMAGE, WAIT));
            kernel.command("copen 0x" + Integer.toHexString(next().msgId()) + ",0x2000");
            assertThat(hex.get(5, TimeUnit.SECONDS)).isInstanceOfSatisfying(OpenResult.Opened.class,
                    o -> assertThat(o.size()).isEqualTo(0x2000));
        }
    }

    @Nested
    class Reading {

        @Test
        void readReturnsZeroWhenIdle() throws Exception {
            bind();
            assertThat(readNothing()).isZero();
            long start = System.nanoTime();
            assertThat(kernel.awaitRequest(50)).isFalse();
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(40_000_000L);
        }

        @Test
        void aBufferTooSmallForThePendingMessageIsEmsgsizeAndTheMessageStays() throws Exception {
            bind();
            Opened o = open(IMAGE, PAGE);
            kernel.injectRead(o.object(), 0, PAGE);
            ByteBuffer small = ByteBuffer.allocateDirect(31);
            assertErrno(() -> kernel.read(small), Errno.EMSGSIZE);
            assertThat(kernel.stats().emsgsize()).isEqualTo(1);
            assertThat(next()).isInstanceOf(ReadMessage.class);
        }

        @Test
        void requestsAreHandedOutCyclicallyFromWhereTheLastReadStoppedEachOnce() throws Exception {
            bind();
            Opened o = open(IMAGE, 64L * PAGE);
            int a = kernel.injectRead(o.object(), 0, PAGE);
            int b = kernel.injectRead(o.object(), PAGE, PAGE);
            int c = kernel.injectRead(o.object(), 2L * PAGE, PAGE);
            assertThat(new int[] {a, b, c}).containsExactly(0, 1, 2);
            // The OPEN was handed out at msg_id 0, so the search resumes at 1.
            assertThat(next().msgId()).isEqualTo(b);
            o.fd().readComplete(b);
            int d = kernel.injectRead(o.object(), 3L * PAGE, PAGE);
            assertThat(d).as("the lowest free msg_id is reused").isEqualTo(b);
            // From 2 onwards, then around from 0: the reused low id waits its turn behind older requests.
            assertThat(next().msgId()).isEqualTo(c);
            assertThat(next().msgId()).isEqualTo(a);
            assertThat(next().msgId()).isEqualTo(d);
            assertThat(readNothing()).as("each request is handed out once").isZero();
            assertThat(kernel.stats().outstanding()).isEqualTo(3);
        }

        @Test
        void restoreMarksEveryOutstandingRequestNewAgain() throws Exception {
            bind();
            Opened o = open(IMAGE, 4L * PAGE);
            Future<ReadResult> reader = async(() -> kernel.read(o.object(), 0, PAGE, WAIT));
            ReadMessage first = (ReadMessage) next();
            assertThat(readNothing()).isZero();
            kernel.command(CachefilesCommands.RESTORE);
            ReadMessage again = (ReadMessage) next();
            assertThat(again).isEqualTo(first);
            o.fd().write(pages(1, 1), 0);
            o.fd().readComplete(again.msgId());
            assertThat(reader.get(5, TimeUnit.SECONDS)).isInstanceOf(ReadResult.Data.class);
        }

        @Test
        void aFilledRangeIsReturnedAndThenServedFromTheCacheWithoutARead() throws Exception {
            bind();
            Opened o = open(IMAGE, 4L * PAGE);
            Future<ReadResult> reader = async(() -> kernel.read(o.object(), PAGE, 2L * PAGE, WAIT));
            ReadMessage read = (ReadMessage) next();
            assertThat(read.objectId()).isEqualTo(o.message().objectId());
            assertThat(read.offset()).isEqualTo(PAGE);
            assertThat(read.length()).isEqualTo(2L * PAGE);
            ByteBuffer data = pages(2, 7);
            o.fd().write(data, PAGE);
            o.fd().readComplete(read.msgId());
            ReadResult result = reader.get(5, TimeUnit.SECONDS);
            assertThat(result).isInstanceOfSatisfying(ReadResult.Data.class, d -> {
                assertThat(d.fromCache()).isFalse();
                assertThat(d.bytes()).isEqualTo(bytes(data));
            });
            long readsBefore = kernel.stats().readsSent();
            ReadResult cached = kernel.read(o.object(), PAGE + 10, 100, WAIT);
            assertThat(cached).isInstanceOfSatisfying(ReadResult.Data.class, d -> {
                assertThat(d.fromCache()).isTrue();
                assertThat(d.bytes()).isEqualTo(Arrays.copyOfRange(bytes(data), 10, 110));
            });
            assertThat(kernel.stats().readsSent()).isEqualTo(readsBefore);
            assertThat(kernel.stats().cacheHits()).isEqualTo(1);
        }

        @Test
        void aHoleLeftAfterReadCompleteFailsTheReaderWithEio() throws Exception {
            bind();
            Opened o = open(IMAGE, 4L * PAGE);
            Future<ReadResult> reader = async(() -> kernel.read(o.object(), 0, 2L * PAGE, WAIT));
            ReadMessage read = (ReadMessage) next();
            o.fd().write(pages(1, 3), 0); // only the first of two pages
            o.fd().readComplete(read.msgId());
            assertThat(reader.get(5, TimeUnit.SECONDS)).isEqualTo(new ReadResult.Failed(Errno.EIO));
            assertThat(kernel.stats().readsEio()).isEqualTo(1);
        }

        @Test
        void anUnansweredReadIsReportedAsHung() throws Exception {
            bind();
            Opened o = open(IMAGE, PAGE);
            assertThat(kernel.read(o.object(), 0, PAGE, SHORT)).isEqualTo(new ReadResult.Hung(SHORT));
            assertThat(kernel.stats().readsHung()).isEqualTo(1);
            assertThat(kernel.stats().outstanding()).as("the request stays, as in the kernel").isEqualTo(1);
        }

        @Test
        void aHangIsReportedNoEarlierThanTheTimeoutAndTheLateAnswerHarmsNothing() throws Exception {
            bind();
            Opened o = open(IMAGE, 2L * PAGE);
            long start = System.nanoTime();
            assertThat(kernel.read(o.object(), 0, PAGE, SHORT)).isEqualTo(new ReadResult.Hung(SHORT));
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(SHORT.toNanos());
            ReadMessage late = (ReadMessage) next();
            o.fd().write(pages(1, 7), 0);
            o.fd().readComplete(late.msgId());
            assertThat(kernel.stats().outstanding()).isZero();
            Future<ReadResult> next = async(() -> kernel.read(o.object(), PAGE, PAGE, WAIT));
            ReadMessage read = (ReadMessage) next();
            o.fd().write(pages(1, 8), PAGE);
            o.fd().readComplete(read.msgId());
            assertThat(next.get(5, TimeUnit.SECONDS)).as("a wait after a hang is answered as usual")
                    .isInstanceOf(ReadResult.Data.class);
        }

        @Test
        void readsAreCutAtTheObjectSize() throws Exception {
            bind();
            Opened o = open(IMAGE, PAGE + 100);
            Future<ReadResult> reader = async(() -> kernel.read(o.object(), PAGE, 2L * PAGE, WAIT));
            ReadMessage read = (ReadMessage) next();
            assertThat(read.length()).isEqualTo(100);
            o.fd().write(pages(1, 5), PAGE);
            o.fd().readComplete(read.msgId());
            assertThat(reader.get(5, TimeUnit.SECONDS)).isInstanceOfSatisfying(ReadResult.Data.class,
                    d -> assertThat(d.bytes()).hasSize(100));
            assertThat(kernel.stats().writesPastObjectSize()).as("the page holding the end may be written whole")
                    .isZero();
        }
    }

    @Nested
    class AnonymousFds {

        @Test
        void eachOpenHandsOverANewRealFdToTheCacheFile() throws Exception {
            bind();
            Opened a = open(IMAGE, PAGE);
            Opened b = open("blob-1".getBytes(StandardCharsets.US_ASCII), PAGE);
            assertThat(a.message().fd()).isNotEqualTo(b.message().fd());
            assertThat(a.message().objectId()).isNotEqualTo(b.message().objectId());
            assertThat(Posix.isOpen(a.message().fd())).isTrue();
            assertThat(kernel.stats().fdsOpen()).isEqualTo(2);
            try (var files = Files.walk(kernel.cacheDirectory())) {
                assertThat(files.filter(Files::isRegularFile).count()).isEqualTo(2);
            }
        }

        @Test
        void writesNeedAPageAlignedOffset() throws Exception {
            bind();
            Opened o = open(IMAGE, 4L * PAGE);
            assertErrno(() -> o.fd().write(pages(1, 0), 512), Errno.ENOBUFS);
            assertThat(kernel.stats().misalignedWrites()).isEqualTo(1);
            o.fd().write(pages(1, 0), PAGE);
        }

        @Test
        void directIoNeedsLengthAndMemoryAlignedToTheBackingBlockSize() throws Exception {
            bind();
            Opened o = open(IMAGE, 4L * PAGE);
            ByteBuffer page = pages(1, 0);
            assertErrno(() -> o.fd().write(page.duplicate().limit(100), 0), Errno.EINVAL);
            assertErrno(() -> o.fd().write(page.duplicate().position(1).limit(513), 0), Errno.EINVAL);
            assertThat(kernel.stats().unalignedDirectIo()).isEqualTo(2);
            o.fd().write(page.duplicate().position(512).limit(1024), 0); // 512 bytes from a 512-aligned address
            assertThat(kernel.stats().misalignedWrites()).isZero();
        }

        @Test
        void aBackingDeviceWith4kBlocksRefuses512ByteWrites() throws Exception {
            kernel.shutdown();
            kernel = new SimulatedCachefilesKernel(4096);
            bind();
            Opened o = open(IMAGE, 4L * PAGE);
            assertErrno(() -> o.fd().write(pages(1, 0).limit(512), 0), Errno.EINVAL);
            o.fd().write(pages(1, 0), 0);
        }

        @Test
        void writesPastTheObjectAreTakenButCounted() throws Exception {
            bind();
            Opened o = open(IMAGE, PAGE);
            o.fd().write(pages(1, 0), PAGE);
            assertThat(kernel.stats().writesPastObjectSize()).isEqualTo(1);
        }

        @Test
        void readCompleteOfAnIdNotOutstandingIsEinval() throws Exception {
            bind();
            Opened o = open(IMAGE, PAGE);
            assertErrno(() -> o.fd().readComplete(42), Errno.EINVAL);
        }

        @Test
        void adoptOnlyKnowsFdsItHandedOut() throws Exception {
            bind();
            assertErrno(() -> kernel.adopt(0), Errno.EBADF);
        }
    }

    @Nested
    class Closing {

        @Test
        void theFilesystemClosingSendsCloseAndTheDaemonClosesTheFd() throws Exception {
            bind();
            Opened o = open(IMAGE, PAGE);
            kernel.close(o.object());
            CloseMessage close = (CloseMessage) next();
            assertThat(close.objectId()).isEqualTo(o.message().objectId());
            assertThat(kernel.stats().outstanding()).as("CLOSE is never answered").isZero();
            assertErrno(() -> o.fd().write(pages(1, 0), 0), Errno.ENOBUFS);
            assertThat(kernel.stats().fdsOpen()).isEqualTo(1);
            o.fd().close();
            o.fd().close();
            assertThat(kernel.stats().fdsOpen()).isZero();
            assertThat(Posix.isOpen(o.message().fd())).isFalse();
        }

        @Test
        void noReadOfAnObjectReachesTheDaemonAfterItsClose() throws Exception {
            bind();
            Opened o = open(IMAGE, PAGE);
            kernel.close(o.object());
            assertThat(next()).isInstanceOf(CloseMessage.class);
            assertThat(kernel.injectRead(o.object(), 0, PAGE)).as("not queued for a dropped object").isEqualTo(-1);
            assertThat(readNothing()).isZero();
            assertThat(kernel.stats().outstanding()).isZero();
            o.fd().close();
        }

        @Test
        void reopeningAClosedCookieGetsANewObjectIdAndKeepsTheCachedData() throws Exception {
            bind();
            Opened first = open(IMAGE, PAGE);
            Future<ReadResult> reader = async(() -> kernel.read(first.object(), 0, PAGE, WAIT));
            ReadMessage read = (ReadMessage) next();
            first.fd().write(pages(1, 9), 0);
            first.fd().readComplete(read.msgId());
            assertThat(reader.get(5, TimeUnit.SECONDS)).isInstanceOf(ReadResult.Data.class);
            kernel.close(first.object());
            assertThat(next()).isInstanceOf(CloseMessage.class);
            first.fd().close();

            Opened second = open(IMAGE, PAGE);
            assertThat(second.message().objectId()).isNotEqualTo(first.message().objectId());
            assertThat(kernel.read(second.object(), 0, PAGE, WAIT)).isInstanceOfSatisfying(ReadResult.Data.class,
                    d -> assertThat(d.fromCache()).isTrue());
        }

        @Test
        void aReadOnAnObjectWhoseFdTheDaemonClosedReopensItFirst() throws Exception {
            bind();
            Opened o = open(IMAGE, 2L * PAGE);
            o.fd().close();
            assertThat(o.object().isOpen()).isFalse();
            Future<ReadResult> reader = async(() -> kernel.read(o.object(), 0, PAGE, WAIT));
            OpenMessage reopen = (OpenMessage) next();
            assertThat(reopen.objectId()).isNotEqualTo(o.message().objectId());
            assertThat(reopen.cookieKey()).isEqualTo(IMAGE);
            assertThat(kernel.stats().reopens()).isEqualTo(1);
            kernel.command(CachefilesCommands.copenSize(reopen.msgId(), 2L * PAGE));
            ReadMessage read = (ReadMessage) next();
            assertThat(read.objectId()).isEqualTo(reopen.objectId());
            ObjectFd fd = kernel.adopt(reopen.fd());
            fd.write(pages(1, 2), 0);
            fd.readComplete(read.msgId());
            assertThat(reader.get(5, TimeUnit.SECONDS)).isInstanceOf(ReadResult.Data.class);
        }

        @Test
        void closingTheDeviceFailsEveryWaitingReaderWithEio() throws Exception {
            bind();
            Opened o = open(IMAGE, PAGE);
            Future<ReadResult> reader = async(() -> kernel.read(o.object(), 0, PAGE, WAIT));
            next();
            kernel.close();
            assertThat(reader.get(5, TimeUnit.SECONDS)).isEqualTo(new ReadResult.Failed(Errno.EIO));
            assertThat(kernel.open(VOLUME, IMAGE, SHORT)).isEqualTo(new OpenResult.Failed(Errno.EIO));
            assertErrno(() -> kernel.read(buf.clear()), Errno.EBADF);
            assertThat(kernel.stats().fdsOpen()).as("anonymous fds stay the daemon's to close").isEqualTo(1);
            o.fd().close();
        }
    }

    @Nested
    class Faults {

        @Test
        void rawBytesAreHandedOutVerbatimAndNeedNoAnswer() throws Exception {
            bind();
            byte[] junk = {1, 2, 3, 4, 5};
            kernel.injectRaw(junk);
            assertThat(kernel.awaitRequest(1000)).isTrue();
            buf.clear();
            assertThat(kernel.read(buf)).isEqualTo(5);
            byte[] got = new byte[5];
            buf.flip().get(got);
            assertThat(got).isEqualTo(junk);
            assertThat(kernel.stats().outstanding()).isZero();
        }

        @Test
        void aReadForAnUnknownObjectCarriesItsObjectIdAndAnotherObjectsFdCannotCompleteIt() throws Exception {
            bind();
            Opened o = open(IMAGE, PAGE);
            int id = kernel.injectReadForUnknownObject(999, 0, PAGE);
            ReadMessage read = (ReadMessage) next();
            assertThat(read.objectId()).isEqualTo(999);
            // Linux 6.10+: READ_COMPLETE takes only a READ of the fd's own object.
            assertErrno(() -> o.fd().readComplete(id), Errno.EINVAL);
            assertThat(kernel.stats().outstanding()).isEqualTo(1);
        }

        @Test
        void anOrphanedObjectsReadIsCompletedOnlyThroughItsOwnFdWhichTheProcessHolds() throws Exception {
            bind();
            Opened known = open(IMAGE, PAGE);
            SimObject orphan = kernel.injectOrphan(VOLUME, "orphan".getBytes(StandardCharsets.US_ASCII), PAGE);
            assertThat(kernel.anonymousFds()).hasSize(2).contains(known.message().fd());
            int orphanFd = kernel.anonymousFds().stream().filter(fd -> fd != known.message().fd()).findFirst()
                    .orElseThrow();
            Future<ReadResult> reader = async(() -> kernel.read(orphan, 0, PAGE, WAIT));
            ReadMessage read = (ReadMessage) next();
            assertThat(read.objectId()).isEqualTo(orphan.objectId()).isNotEqualTo(known.message().objectId());

            assertErrno(() -> known.fd().readComplete(read.msgId()), Errno.EINVAL);
            kernel.adopt(orphanFd).readComplete(read.msgId());

            assertThat(reader.get(5, TimeUnit.SECONDS)).isInstanceOfSatisfying(ReadResult.Failed.class,
                    f -> assertThat(f.errno()).as("a hole left is the reader's EIO").isEqualTo(Errno.EIO));
            assertThat(kernel.stats().outstanding()).isZero();
        }

        @Test
        void withdrawingAnObjectFailsItsQueuedReadsOnceTheDaemonHasTheClose() throws Exception {
            bind();
            Opened o = open(IMAGE, 2L * PAGE);
            Future<ReadResult> reader = async(() -> kernel.read(o.object(), 0, PAGE, WAIT));
            next();
            kernel.injectRead(o.object(), PAGE, PAGE);
            kernel.close(o.object());
            assertThat(kernel.stats().outstanding()).isEqualTo(3);
            // The daemon reads the duplicate READ or the CLOSE first; once the CLOSE is out, clean_object fails the rest.
            while (!(next() instanceof CloseMessage)) {
                continue;
            }
            assertThat(reader.get(5, TimeUnit.SECONDS)).isInstanceOfSatisfying(ReadResult.Failed.class,
                    f -> assertThat(f.errno()).isEqualTo(Errno.EIO));
            assertThat(kernel.stats().outstanding()).isZero();
        }

        @Test
        void aDuplicateReadIsASecondRequestForTheSameRange() throws Exception {
            bind();
            Opened o = open(IMAGE, PAGE);
            Future<ReadResult> reader = async(() -> kernel.read(o.object(), 0, PAGE, WAIT));
            ReadMessage first = (ReadMessage) next();
            kernel.injectRead(o.object(), 0, PAGE);
            ReadMessage dup = (ReadMessage) next();
            assertThat(dup.msgId()).isNotEqualTo(first.msgId());
            assertThat(dup.offset()).isEqualTo(first.offset());
            o.fd().write(pages(1, 4), 0);
            o.fd().readComplete(first.msgId());
            o.fd().readComplete(dup.msgId());
            assertThat(reader.get(5, TimeUnit.SECONDS)).isInstanceOf(ReadResult.Data.class);
        }
    }

    interface Call {
        void run() throws Exception;
    }

    static void assertErrno(Call call, int errno) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).as(e.getMessage()).isEqualTo(errno));
    }
}
