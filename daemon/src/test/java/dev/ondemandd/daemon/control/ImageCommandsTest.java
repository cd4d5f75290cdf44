package dev.ondemandd.daemon.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ondemandd.daemon.cli.Main;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * {@code mount} and {@code umount} over the control socket, and the CLI talking to a daemon: every request is
 * checked before the frontend sees it, a bad one gets an error reply and the connection serves on.
 */
class ImageCommandsTest {

    @TempDir
    Path dir;

    private final List<Object> calls = new CopyOnWriteArrayList<>();
    private ControlServer server;
    private Path socket;

    /** Records what reaches the frontend; refuses to unmount what it did not mount. */
    private final ImageMounter recorder = new ImageMounter() {
        @Override
        public JsonNode mount(MountRequest request) {
            calls.add(request);
            var result = ControlProtocol.JSON.createObjectNode();
            result.put("options", "fsid=" + request.fsid());
            return result;
        }

        @Override
        public void umount(Path mountpoint, boolean lazy) throws ControlException {
            calls.add("umount " + mountpoint + (lazy ? " lazy" : ""));
            if (!mountpoint.endsWith("mnt")) {
                throw new ControlException(NOT_MOUNTED_HERE + ": " + mountpoint);
            }
        }

        @Override
        public List<Object> images() {
            return List.of();
        }
    };

    @BeforeEach
    void start() throws Exception {
        socket = dir.resolve("control.sock");
        Map<String, ControlCommand> commands = new HashMap<>();
        ImageCommands.register(commands, recorder);
        server = ControlServer.start(ControlSettings.rootOnly(socket), commands);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void malformedMountAndUmountRequestsGetErrorRepliesAndNeverReachTheFrontend() throws Exception {
        String ok = "\"meta\":\"file:///m.erofs\",\"mountpoint\":\"/mnt/x\"";
        try (AFUNIXSocket raw = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(socket))) {
            raw.setSoTimeout(10_000);
            InputStream in = raw.getInputStream();
            OutputStream out = raw.getOutputStream();
            for (String bad : List.of(
                    "{\"cmd\":\"mount\"}",
                    "{\"cmd\":\"mount\",\"meta\":\"file:///m.erofs\"}",
                    "{\"cmd\":\"mount\",\"meta\":\"file:///m.erofs\",\"mountpoint\":\"relative/dir\"}",
                    "{\"cmd\":\"mount\",\"meta\":\"no scheme\",\"mountpoint\":\"/mnt/x\"}",
                    "{\"cmd\":\"mount\",\"meta\":42,\"mountpoint\":\"/mnt/x\"}",
                    "{\"cmd\":\"mount\"," + ok + ",\"blobs\":\"file:///b\"}",
                    "{\"cmd\":\"mount\"," + ok + ",\"blobs\":[\"file:///b\", 7]}",
                    "{\"cmd\":\"mount\"," + ok + ",\"blobs\":[" + "\"file:///b\",".repeat(MountRequest.MAX_BLOBS)
                            + "\"file:///b\"]}",
                    "{\"cmd\":\"mount\"," + ok + ",\"fsid\":\"a,device=/etc/shadow\"}",
                    "{\"cmd\":\"mount\"," + ok + ",\"fsid\":\"../x\"}",
                    "{\"cmd\":\"mount\"," + ok + ",\"domainId\":\"\"}",
                    "{\"cmd\":\"mount\"," + ok + ",\"options\":\"dax\"}",
                    "{\"cmd\":\"umount\"}",
                    "{\"cmd\":\"umount\",\"mountpoint\":\"/mnt/x\",\"lazy\":\"yes\"}",
                    "{\"cmd\":\"umount\",\"mountpoint\":\"/mnt/x\",\"force\":true}")) {
                out.write((bad + "\n").getBytes(StandardCharsets.UTF_8));
                JsonNode reply = new ObjectMapper().readTree(ControlProtocol.readLine(in, 1 << 20));
                assertThat(reply.path("ok").asBoolean()).as(bad).isFalse();
                assertThat(reply.path("error").asText()).as(bad).isNotBlank();
            }
            assertThat(calls).as("nothing malformed reached the frontend").isEmpty();

            out.write(("{\"cmd\":\"mount\"," + ok + ",\"blobs\":[\"file:///b1\",\"http://h/b2\"],\"fsid\":\"app.v1\","
                    + "\"domainId\":\"shared\"}\n").getBytes(StandardCharsets.UTF_8));
            JsonNode reply = new ObjectMapper().readTree(ControlProtocol.readLine(in, 1 << 20));
            assertThat(reply.path("ok").asBoolean()).as(reply.toString()).isTrue();
        }
        assertThat(calls).containsExactly(new MountRequest(URI.create("file:///m.erofs"),
                List.of(URI.create("file:///b1"), URI.create("http://h/b2")), Path.of("/mnt/x"), "app.v1", "shared"));
    }

    @Test
    void theCliMountsAndUnmountsThroughTheDaemon() throws Exception {
        Path meta = Files.writeString(dir.resolve("meta.erofs"), "m");
        Path mnt = Files.createDirectories(dir.resolve("mnt"));

        int code = Main.execute("mount", "--socket", socket.toString(), "--fsid", "app", "--blob",
                "http://registry.example/blob", meta.toString(), mnt.toString());

        assertThat(code).isZero();
        assertThat(calls).containsExactly(new MountRequest(meta.toUri(), List.of(URI.create("http://registry.example/blob")),
                mnt, "app", null));

        assertThat(Main.execute("umount", "--socket", socket.toString(), "--lazy", mnt.toString())).isZero();
        assertThat(calls).last().isEqualTo("umount " + mnt + " lazy");
    }

    @Test
    void theCliRefusesOptionsOfItsOwnServingWhenADaemonServesAndNeedsADaemonForFsid() throws Exception {
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        assertThat(Main.execute("mount", "--socket", socket.toString(), "--cache-dir", dir.toString(),
                "file:///m.erofs", mnt.toString())).isEqualTo(2);
        assertThat(Main.execute("mount", "--socket", dir.resolve("nobody.sock").toString(), "file:///m.erofs",
                mnt.toString())).as("the socket given must answer").isEqualTo(3);
        assertThat(calls).isEmpty();
    }

    @Test
    void umountOfWhatTheDaemonDidNotMountFallsBackToUnmountingHere() throws Exception {
        Path other = Files.createDirectories(dir.resolve("other"));

        int code = Main.execute("umount", "--socket", socket.toString(), other.toString());

        assertThat(calls).containsExactly("umount " + other);
        // not a mountpoint here either: umount2 says so (EINVAL as root, EPERM otherwise)
        assertThat(code).isIn(2, 3);
    }
}
