package dev.ondemandd.daemon.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The control socket's {@code mount} ({@link MountRequest}) and {@code umount}
 * ({@code {"cmd": "umount", "mountpoint": "/abs/dir", "lazy": false}}) over a frontend's {@link ImageMounter}.
 * Mounts and unmounts run one at a time.
 */
public final class ImageCommands {

    private static final Set<String> UMOUNT_KEYS = Set.of("cmd", "mountpoint", "lazy");

    private ImageCommands() {
    }

    /** Adds {@code mount} and {@code umount} to {@code commands}. */
    public static void register(Map<String, ControlCommand> commands, ImageMounter mounter) {
        Object lock = new Object();
        commands.put("mount", request -> {
            MountRequest mount = MountRequest.parse(request);
            synchronized (lock) {
                return mounter.mount(mount);
            }
        });
        commands.put("umount", request -> {
            checkUmountKeys(request);
            JsonNode lazy = request.get("lazy");
            if (lazy != null && !lazy.isBoolean()) {
                throw new ControlException("umount: lazy must be true or false");
            }
            var mountpoint = MountRequest.mountpoint(request.get("mountpoint"));
            synchronized (lock) {
                mounter.umount(mountpoint, lazy != null && lazy.asBoolean());
            }
            ObjectNode result = ControlProtocol.JSON.createObjectNode();
            result.put("unmounted", mountpoint.toString());
            return result;
        });
    }

    private static void checkUmountKeys(ObjectNode request) throws ControlException {
        for (Iterator<String> it = request.fieldNames(); it.hasNext();) {
            String key = it.next();
            if (!UMOUNT_KEYS.contains(key)) {
                throw new ControlException("umount: unknown key '" + key + "' (known: mountpoint, lazy)");
            }
        }
    }
}
