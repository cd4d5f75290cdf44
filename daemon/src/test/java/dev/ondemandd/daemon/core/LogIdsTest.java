package dev.ondemandd.daemon.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ondemandd.daemon.testing.LogCapture;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every log line about an object names it one way: the frontend's id, the core's #id and the key. */
class LogIdsTest {

    private LogCapture log;

    /** A cache file in nothing, named as the cachefiles frontend names its objects. */
    private static final class Labelled implements CacheTarget {
        private final int objectId;

        Labelled(int objectId) {
            this.objectId = objectId;
        }

        @Override
        public void write(ByteBuffer src, long offset) {
            src.position(src.limit());
        }

        @Override
        public String label() {
            return "object_id " + objectId;
        }

        @Override
        public void close() {
        }
    }

    @BeforeEach
    void listen() {
        log = LogCapture.of(Core.class, ReadTask.class);
    }

    @AfterEach
    void stopListening() {
        log.close();
    }

    @Test
    void theFormatIsFrontendIdThenCoreIdThenKeyLeavingOutWhatIsNotKnown() {
        ObjectKey key = ObjectKey.of("erofs,img", "blob");
        assertThat(LogIds.of(new Labelled(7), 12, key)).isEqualTo("object_id 7 #12 erofs,img/blob");
        assertThat(LogIds.of(new Labelled(7), LogIds.NO_ID, key)).isEqualTo("object_id 7 erofs,img/blob");
        assertThat(LogIds.of(null, 12, key)).isEqualTo("#12 erofs,img/blob");
    }

    @Test
    void openAndReadFailureLinesCarryTheKernelsIdAndTheCoresId() throws Exception {
        FakeSource source = new FakeSource().put("img", new byte[2 * CoreSettings.PAGE_SIZE]);
        source.gate = new Semaphore(0);
        try (Core core = new Core(CoreSettings.defaults().withReadDeadline(Duration.ofMillis(200)),
                FakeSource.resolver(source), CoreListener.none())) {
            Replies.Open opened = new Replies.Open();
            core.open(ObjectKey.of("erofs,img", "img"), new Labelled(7), opened);
            ObjectHandle handle = opened.await();
            assertThat(handle.describe()).isEqualTo("object_id 7 #" + handle.id() + " erofs,img/img");

            Replies.Read read = new Replies.Read();
            handle.read(0, CoreSettings.PAGE_SIZE, read);
            assertThat(read.await()).isEqualTo(dev.ondemandd.fetchers.FetchException.EIO);
            await().atMost(Duration.ofSeconds(10)).until(() -> log.messages().stream().anyMatch(l -> l.startsWith(
                    "READ object_id 7 #" + handle.id() + " erofs,img/img 0+4096 passed its deadline")));

            Replies.Open missing = new Replies.Open();
            core.open(ObjectKey.of("erofs,img", "missing"), new Labelled(8), missing);
            assertThat(missing.awaitErrno()).isEqualTo(2);
            await().atMost(Duration.ofSeconds(10)).until(() -> log.messages().stream().anyMatch(l -> l.startsWith(
                    "OPEN object_id 8 erofs,img/missing failed (errno 2)")));
            source.gate.release(100);
            handle.close();
        }
    }
}
