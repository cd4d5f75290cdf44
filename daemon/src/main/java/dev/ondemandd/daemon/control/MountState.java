package dev.ondemandd.daemon.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The images mounted at runtime ({@code ondemandd mount}), kept in a file so that the next daemon — after a
 * restart, or a failover that hands it the kernel's fd — serves them again: for cachefiles, the OPENs the kernel
 * re-sends after {@code restore} carry the cookies of those images, and only their mount requests say where their
 * bytes are. The file is {@value #FILE_NAME} in the cache directory:
 * <pre>
 * {"version": 1, "mounts": [{"cmd": "mount", "meta": URL, "blobs": [URL, ...], "mountpoint": "/dir", "fsid": ID}]}
 * </pre>
 * each entry a {@link MountRequest} as the control socket takes it, checked the same way when read back. It is
 * written whole on every change: to a temporary file in the same directory, forced to disk, renamed over the old
 * one, and the directory forced — so a crash leaves the old list or the new one, never a torn one.
 */
public final class MountState {

    private static final System.Logger LOG = System.getLogger(MountState.class.getName());
    /** The file's name in the cache directory. */
    public static final String FILE_NAME = "ondemandd-mounts.json";
    static final int VERSION = 1;
    /** Far more than any list of mounts takes; a bigger file is not ours. */
    static final long MAX_BYTES = 4L << 20;

    private final Path file;

    private MountState(Path file) {
        this.file = file;
    }

    /** The state file of the cache directory {@code dir}. */
    public static MountState in(Path dir) {
        return new MountState(dir.toAbsolutePath().resolve(FILE_NAME));
    }

    public Path file() {
        return file;
    }

    /**
     * The mounts the file lists, in order; none when there is no file.
     *
     * @throws IOException when it cannot be read, or is not a mount list of this version (saying what is wrong)
     */
    public List<MountRequest> load() throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new IOException(file + " is " + size + " bytes, more than a mount list takes (" + MAX_BYTES + ")");
        }
        JsonNode root;
        try {
            root = ControlProtocol.JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new IOException(file + " is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject() || !root.path("version").isInt() || !root.path("mounts").isArray()) {
            throw new IOException(file + " is not a mount list ({\"version\": " + VERSION + ", \"mounts\": [...]})");
        }
        if (root.get("version").asInt() != VERSION) {
            throw new IOException(file + " has version " + root.get("version") + "; this daemon reads " + VERSION);
        }
        List<MountRequest> mounts = new ArrayList<>();
        JsonNode list = root.get("mounts");
        for (int i = 0; i < list.size(); i++) {
            if (!list.get(i).isObject()) {
                throw new IOException(file + ": mounts[" + i + "] is not an object");
            }
            ObjectNode entry = (ObjectNode) list.get(i);
            if (!"mount".equals(entry.path("cmd").asText(null))) {
                throw new IOException(file + ": mounts[" + i + "] is not a mount request");
            }
            try {
                mounts.add(MountRequest.parse(entry));
            } catch (ControlException e) {
                throw new IOException(file + ": mounts[" + i + "]: " + e.getMessage());
            }
        }
        return mounts;
    }

    /**
     * {@link #load()}, or none when the file is corrupt: one ERROR line says why and what to do, and the file is
     * moved aside (to {@code .corrupt}) so the next write does not destroy what an operator may want to read.
     */
    public List<MountRequest> loadOrSetAside() {
        try {
            return load();
        } catch (IOException e) {
            Path aside = file.resolveSibling(FILE_NAME + ".corrupt");
            String moved;
            try {
                Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
                moved = "moved to " + aside;
            } catch (IOException moving) {
                moved = "could not move it aside: " + moving.getMessage();
            }
            LOG.log(Level.ERROR, "runtime mounts not restored: " + e.getMessage() + " (" + moved + "); the configured"
                    + " images are served; mount the runtime ones again with `ondemandd mount`");
            return List.of();
        }
    }

    /** Replaces the list with {@code mounts}, atomically (see the class comment). */
    public synchronized void save(List<MountRequest> mounts) throws IOException {
        ObjectNode root = ControlProtocol.JSON.createObjectNode();
        root.put("version", VERSION);
        ArrayNode list = root.putArray("mounts");
        mounts.forEach(m -> list.add(m.toRequest()));
        byte[] bytes = ControlProtocol.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        Path dir = file.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, FILE_NAME + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true); // the rename itself reaches the disk
        }
    }
}
