package dev.ondemandd.daemon.control;

import java.nio.file.Path;
import java.util.Set;

/**
 * The configuration's {@code "control": {"socket": "/run/ondemandd/control.sock", "allowUids": [],
 * "allowGids": []}}. Root may always connect; a peer whose uid is in {@code allowUids}, or whose primary or
 * supplementary group is in {@code allowGids}, may too. The socket file is mode 0600 when only root is
 * allowed, 0660 with the first allowed gid as its group when groups are, and 0666 when other uids are (the
 * peer-credential check is then the gate).
 *
 * @param socket    where the socket is bound
 * @param allowUids uids besides root that may connect
 * @param allowGids gids whose members may connect
 */
public record ControlSettings(Path socket, Set<Long> allowUids, Set<Long> allowGids) {

    /** The default socket, in systemd's RuntimeDirectory=ondemandd. */
    public static final Path DEFAULT_SOCKET = Path.of("/run/ondemandd/control.sock");

    /** sun_path holds 108 bytes including the NUL. */
    public static final int MAX_SOCKET_PATH = 107;

    public ControlSettings {
        if (socket == null || !socket.isAbsolute()) {
            throw new IllegalArgumentException("control.socket must be an absolute path, not " + socket);
        }
        if (socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new IllegalArgumentException("control.socket is longer than " + MAX_SOCKET_PATH
                    + " bytes (the AF_UNIX limit): " + socket);
        }
        allowUids = Set.copyOf(allowUids);
        allowGids = Set.copyOf(allowGids);
        for (long id : allowUids) {
            requireId("allowUids", id);
        }
        for (long id : allowGids) {
            requireId("allowGids", id);
        }
    }

    private static void requireId(String name, long id) {
        if (id < 0 || id > 0xFFFF_FFFEL) {
            throw new IllegalArgumentException("control." + name + " holds " + id + ", not a uid/gid");
        }
    }

    /** Root only, on the default socket. */
    public static ControlSettings defaults() {
        return new ControlSettings(DEFAULT_SOCKET, Set.of(), Set.of());
    }

    /** Root only, on {@code socket}. */
    public static ControlSettings rootOnly(Path socket) {
        return new ControlSettings(socket, Set.of(), Set.of());
    }

    /**
     * The configuration's {@code "control"} section: absent or null gives {@link #defaults()}.
     *
     * @throws IllegalArgumentException naming the key at fault ({@code control.socket}, ...)
     */
    public static ControlSettings fromJson(com.fasterxml.jackson.databind.JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return defaults();
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("control must be an object like {\"socket\": \"" + DEFAULT_SOCKET
                    + "\"}");
        }
        java.util.Iterator<String> keys = node.fieldNames();
        while (keys.hasNext()) {
            String key = keys.next();
            if (!Set.of("socket", "allowUids", "allowGids").contains(key)) {
                throw new IllegalArgumentException("control." + key + " is not a setting (socket, allowUids,"
                        + " allowGids)");
            }
        }
        com.fasterxml.jackson.databind.JsonNode socket = node.path("socket");
        if (!socket.isMissingNode() && !socket.isTextual()) {
            throw new IllegalArgumentException("control.socket must be a path string");
        }
        return new ControlSettings(socket.isTextual() ? Path.of(socket.asText()) : DEFAULT_SOCKET,
                ids("allowUids", node.path("allowUids")), ids("allowGids", node.path("allowGids")));
    }

    private static Set<Long> ids(String name, com.fasterxml.jackson.databind.JsonNode list) {
        if (list.isMissingNode() || list.isNull()) {
            return Set.of();
        }
        if (!list.isArray()) {
            throw new IllegalArgumentException("control." + name + " must be a list of numeric ids like [1000]");
        }
        java.util.Set<Long> ids = new java.util.HashSet<>();
        for (com.fasterxml.jackson.databind.JsonNode id : list) {
            if (!id.canConvertToLong() || !id.isIntegralNumber()) {
                throw new IllegalArgumentException("control." + name + " must hold numeric ids, not " + id);
            }
            ids.add(id.asLong());
        }
        return ids;
    }

    /** True when a peer with these credentials may use the socket. */
    public boolean allows(long uid, long gid, long[] groups) {
        if (uid == 0 || allowUids.contains(uid) || allowGids.contains(gid)) {
            return true;
        }
        if (groups != null) {
            for (long g : groups) {
                if (allowGids.contains(g)) {
                    return true;
                }
            }
        }
        return false;
    }
}
