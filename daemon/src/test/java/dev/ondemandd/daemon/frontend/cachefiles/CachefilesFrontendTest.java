package dev.ondemandd.daemon.frontend.cachefiles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ondemandd.daemon.core.Core;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.FetchPolicy;
import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.daemon.core.SourceRule;
import dev.ondemandd.fetchers.FetcherRegistry;
import dev.ondemandd.fetchers.file.FileFetcher;
import dev.ondemandd.protocol.cachefiles.CachefilesCodec;
import dev.ondemandd.protocol.cachefiles.CloseMessage;
import dev.ondemandd.protocol.cachefiles.OpenMessage;
import dev.ondemandd.protocol.cachefiles.ReadMessage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CachefilesFrontendTest {

    @TempDir
    Path blobs;

    private final FakeDevice device = new FakeDevice();
    private Core core;
    private CachefilesFrontend frontend;
    private byte[] content;

    @BeforeEach
    void start() throws Exception {
        content = new byte[10_000];
        new Random(1).nextBytes(content);
        Files.write(blobs.resolve("img"), content);
        // Exact fetches: these cases pin the frontend's page padding and completions (FetchShapingTest: the rest).
        core = new Core(CoreSettings.defaults().withFetch(FetchPolicy.exact()), new SourceResolver(List.of(SourceRule.of("erofs,*", "*",
                blobs.toUri() + "{cookie}")), FetcherRegistry.of(new FileFetcher())), CoreListener.none());
        frontend = new CachefilesFrontend(device, core);
        frontend.bind("/var/cache/x", "t");
        assertThat(List.of(device.nextCommand(), device.nextCommand(), device.nextCommand()))
                .containsExactly("dir /var/cache/x", "tag t", "bind ondemand");
        frontend.start();
    }

    @AfterEach
    void stop() throws Exception {
        frontend.close();
        core.close();
    }

    private static OpenMessage open(int msgId, int objectId, String cookie, int fd) {
        return new OpenMessage(msgId, objectId, "erofs,img", cookie.getBytes(StandardCharsets.UTF_8), fd, 0);
    }

    @Test
    void openReadCloseAreServedThroughTheAnonFd() throws Exception {
        device.send(open(1, 7, "img", 40));
        assertThat(device.nextCommand()).isEqualTo("copen 1,10000");

        device.send(new ReadMessage(2, 7, 8192, 1808));
        FakeDevice.FakeFd fd = device.fds.get(40);
        await().atMost(Duration.ofSeconds(5)).until(() -> fd.completed.contains(2));
        byte[] lastPage = fd.writes.get(8192L);
        assertThat(lastPage).as("direct I/O writes whole pages").hasSize(4096);
        assertThat(Arrays.equals(lastPage, 0, 1808, content, 8192, 10_000)).as("the object's last bytes").isTrue();
        assertThat(Arrays.copyOfRange(lastPage, 1808, 4096)).as("padded with zeros").containsOnly(0);

        device.send(new CloseMessage(3, 7));
        await().atMost(Duration.ofSeconds(5)).until(() -> fd.closed);
        assertThat(frontend.openObjects()).isZero();
    }

    @Test
    void anOpenWithoutASourceIsAnsweredWithItsErrnoAndItsFdClosed() throws Exception {
        device.send(open(5, 1, "missing", 41));
        assertThat(device.nextCommand()).isEqualTo("copen 5,-2");
        await().atMost(Duration.ofSeconds(5)).until(() -> device.fds.get(41).closed);
    }

    @Test
    void aMalformedOpenIsStillAnsweredAndItsFdClosed() throws Exception {
        ByteBuffer b = ByteBuffer.allocate(1024);
        int n = CachefilesCodec.encode(open(9, 2, "img", 42), b);
        byte[] bytes = Arrays.copyOf(b.array(), n);
        // volume_key_size claims more bytes than the payload has.
        ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).putInt(16, 200);
        device.sendRaw(bytes);

        assertThat(device.nextCommand()).isEqualTo("copen 9,-22");
        await().atMost(Duration.ofSeconds(5)).until(() -> device.fds.containsKey(42) && device.fds.get(42).closed);
        assertThat(frontend.stats().malformed()).isEqualTo(1);
    }

    @Test
    void aReadForAnUnknownObjectIsCountedAndServingGoesOn() throws Exception {
        device.send(new ReadMessage(3, 99, 0, 4096));
        device.sendRaw(new byte[5]);
        device.send(open(4, 1, "img", 43));
        assertThat(device.nextCommand()).isEqualTo("copen 4,10000");
        assertThat(frontend.stats().unknownObject()).isEqualTo(1);
        assertThat(frontend.stats().malformed()).isEqualTo(1);
    }

    @Test
    void shutdownClosesEveryAnonFd() throws Exception {
        device.send(open(1, 1, "img", 44));
        device.send(open(2, 2, "img", 45));
        assertThat(List.of(device.nextCommand(), device.nextCommand())).containsOnly("copen 1,10000", "copen 2,10000");
        frontend.close();
        core.close();
        assertThat(device.fds.get(44).closed).isTrue();
        assertThat(device.fds.get(45).closed).isTrue();
    }
}
