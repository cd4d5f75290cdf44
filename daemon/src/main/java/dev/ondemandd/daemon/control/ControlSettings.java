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
