package dev.ondemandd.daemon.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime mounts' state file: what a restarted daemon reads back, and what it does with a broken one. */
class MountStateTest {

    @TempDir
    Path dir;

    private static MountRequest request(String name, String fsid, String domain, int blobs) {
        List<URI> list = new ArrayList<>();
        for (int i = 0; i < blobs; i++) {
            list.add(URI.create("http://127.0.0.1:8766/" + name + "/blob" + i + ".img"));
        }
        return new MountRequest(URI.create("http://127.0.0.1:8766/" + name + "/meta.erofs"), list,
                Path.of("/mnt/" + name), fsid, domain);
    }

    @Test
    void noFileMeansNoRuntimeMounts() throws Exception {
        assertThat(MountState.in(dir).load()).isEmpty();
        assertThat(MountState.in(dir).file()).isEqualTo(dir.resolve("ondemandd-mounts.json"));
    }

    @Test
    void whatIsSavedLoadsBackTheSameInOrder() throws Exception {
        MountState state = MountState.in(dir);
        List<MountRequest> mounts = List.of(request("b", "fs-b", null, 2), request("a", null, "shared", 0),
                request("c", "fs-c", "shared", 1));
        state.save(mounts);
        assertThat(MountState.in(dir).load()).containsExactlyElementsOf(mounts);
        state.save(List.of(mounts.get(1)));
        assertThat(state.load()).containsExactly(mounts.get(1));
        state.save(List.of());
        assertThat(state.load()).isEmpty();
    }

    @Test
    void aSaveReplacesTheFileByRenameLeavingNoTemporaryFileBehind() throws Exception {
        MountState state = MountState.in(dir);
        state.save(List.of(request("old", "fs-old", null, 1)));
        // a reader holding the old file keeps seeing the old list whole: it is never rewritten in place
        Path reader = dir.resolve("reader-link");
        Files.createLink(reader, state.file());
        String before = Files.readString(reader);

        state.save(List.of(request("new", "fs-new", null, 1)));

        assertThat(Files.readString(reader)).isEqualTo(before);
        assertThat(Files.isSameFile(reader, state.file())).isFalse();
        assertThat(state.load()).containsExactly(request("new", "fs-new", null, 1));
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("ondemandd-mounts.json", "reader-link");
        }
    }

    @Test
    void aCorruptFileIsRefusedSayingWhatIsWrong() throws Exception {
        MountState state = MountState.in(dir);
        for (String[] bad : new String[][] {
            {"{\"version\": 1, \"mounts\": [", "not JSON"},
            {"[]", "not a mount list"},
            {"{\"version\": 2, \"mounts\": []}", "version 2"},
            {"{\"version\": 1, \"mounts\": [7]}", "mounts[0] is not an object"},
            {"{\"version\": 1, \"mounts\": [{\"cmd\": \"umount\", \"mountpoint\": \"/x\"}]}", "not a mount request"},
            {"{\"version\": 1, \"mounts\": [{\"cmd\": \"mount\", \"meta\": \"x\", \"mountpoint\": \"/m\"}]}",
                "mounts[0]: mount: meta has no scheme"},
            {"{\"version\": 1, \"mounts\": [{\"cmd\": \"mount\", \"meta\": \"file:///m\", \"mountpoint\": \"rel\"}]}",
                "absolute path"},
            {"{\"version\": 1, \"mounts\": [{\"cmd\": \"mount\", \"meta\": \"file:///m\", \"mountpoint\": \"/m\","
                + " \"fsid\": \"a,b\"}]}", "fsid must be"},
        }) {
            Files.writeString(state.file(), bad[0]);
            assertThatThrownBy(state::load).as(bad[0]).isInstanceOf(IOException.class).hasMessageContaining(bad[1])
                    .hasMessageContaining(state.file().toString());
        }
    }

    @Test
    void aFileFarTooBigIsNotRead() throws Exception {
        MountState state = MountState.in(dir);
        Files.write(state.file(), new byte[(int) MountState.MAX_BYTES + 1]);
        assertThatThrownBy(state::load).hasMessageContaining("more than a mount list takes");
    }

    @Test
    void aCorruptFileIsSetAsideAndTheDaemonStartsWithNoRuntimeMounts() throws Exception {
        MountState state = MountState.in(dir);
        Files.writeString(state.file(), "{garbage");

        assertThat(state.loadOrSetAside()).isEmpty();

        assertThat(state.file()).doesNotExist();
        assertThat(dir.resolve("ondemandd-mounts.json.corrupt")).hasContent("{garbage");
        state.save(List.of(request("a", "fs-a", null, 0)));
        assertThat(state.loadOrSetAside()).hasSize(1);
    }

    /** A mounter that succeeds or refuses as told, recording what it was asked. */
    private static final class Recording implements ImageMounter {
        boolean refuse;
        final List<String> calls = new ArrayList<>();

        @Override
        public JsonNode mount(MountRequest request) throws ControlException {
            calls.add("mount " + request.mountpoint());
            if (refuse) {
                throw new ControlException("mount: refused");
            }
            return ControlProtocol.JSON.createObjectNode();
        }

        @Override
        public void umount(Path mountpoint, boolean lazy) throws ControlException {
            calls.add("umount " + mountpoint);
            if (refuse) {
                throw new ControlException("umount: busy");
            }
        }

        @Override
        public List<? extends Object> images() {
            return List.of();
        }
    }

    @Test
    void persistentMountsWriteTheFileOnEverySuccessfulMountAndUmountOnly() throws Exception {
        MountState state = MountState.in(dir);
        Recording mounter = new Recording();
        MountRequest restored = request("r", "fs-r", null, 1);
        PersistentMounts mounts = new PersistentMounts(mounter, state, List.of(restored));
        MountRequest a = request("a", "fs-a", null, 1);

        mounts.mount(a);
        assertThat(state.load()).containsExactly(restored, a);

        mounter.refuse = true;
        assertThatThrownBy(() -> mounts.mount(request("b", "fs-b", null, 1))).isInstanceOf(ControlException.class);
        assertThatThrownBy(() -> mounts.umount(a.mountpoint(), false)).isInstanceOf(ControlException.class);
        assertThat(state.load()).as("failed calls change nothing").containsExactly(restored, a);

        mounter.refuse = false;
        mounts.umount(restored.mountpoint(), false);
        assertThat(state.load()).containsExactly(a);
        assertThat(mounts.mounts()).containsExactly(a);
    }
}
