package dev.ondemandd.protocol.cachefiles;

import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.COMMAND_MAX_BYTES;
import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.MAX_ERRNO;

import dev.ondemandd.protocol.nativeio.Errno;
import java.nio.charset.StandardCharsets;

/**
 * Formats the commands the daemon writes to /dev/cachefiles, one per write(), as cachefiles_daemon_write()
 * parses them: the first word is the command, spaces after it are skipped, the rest is the argument; a NUL
 * anywhere fails the write with EINVAL, the first newline ends the command, more than PAGE_SIZE - 1 bytes fail
 * with EOPNOTSUPP. We refuse what the kernel would refuse or silently truncate, so an argument always reaches
 * the kernel whole.
 */
public final class CachefilesCommands {

    /** {@code bind ondemand}: turns the cache on in on-demand mode; requests flow from then on. */
    public static final String BIND_ONDEMAND = "bind ondemand";

    /** {@code restore} (Linux 6.8+): re-marks every request still outstanding as new, after a daemon restart. */
    public static final String RESTORE = "restore";

    private CachefilesCommands() {
    }

    /** {@code dir <path>}: the cache directory (once per open of the device; a second one fails with EEXIST). */
    public static String dir(String path) {
        return command("dir", path);
    }

    /** {@code tag <name>}: the cache's tag (EROFS {@code -o fsid=...} mounts look caches up by it). */
    public static String tag(String name) {
        return command("tag", name);
    }

    /**
     * {@code brun|bcull|bstop|frun|fcull|fstop <percent>%}: a culling limit, in percent of the cache filesystem's
     * free blocks (b…) or files (f…). Below {@code bstop} the kernel refuses cache writes (ENOBUFS); each limit must
     * stay ordered against the ones set before (stop &lt; cull &lt; run &lt; 100), else EINVAL.
     */
    public static String cullLimit(String name, int percent) {
        if (!CULL_LIMITS.contains(name)) {
            throw new IllegalArgumentException("not a culling limit: " + name);
        }
        if (percent < 0 || percent > 99) {
            throw new IllegalArgumentException(name + " " + percent + "% outside [0, 99]");
        }
        return name + " " + percent + "%";
    }

    /**
     * {@code inuse <name>}: whether the file {@code name} in the writing thread's current directory (inside the
     * cache) is in use — EBUSY when it is, success when it is not.
     */
    public static String inuse(String name) {
        return command("inuse", fileName(name));
    }

    /** {@code cull <name>}: the kernel removes the idle object file {@code name} (current directory; EBUSY in use). */
    public static String cull(String name) {
        return command("cull", fileName(name));
    }

    private static String fileName(String name) {
        if (name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("cull/inuse take a name in the current directory, not a path: " + name);
        }
        return name;
    }

    /** The names of the culling limits. */
    public static final java.util.List<String> CULL_LIMITS = java.util.List.of("brun", "bcull", "bstop", "frun",
            "fcull", "fstop");

    /** {@code copen <msg_id>,<size>}: the OPEN succeeded and the object is {@code size} bytes. */
    public static String copenSize(int msgId, long size) {
        if (size < 0) {
            throw new IllegalArgumentException("object size " + size + " is negative");
        }
        return copen(msgId, size);
    }

    /** {@code copen <msg_id>,-<errno>}: the OPEN fails with {@code errno} (1..4095) in the reading process. */
    public static String copenError(int msgId, int errno) {
        if (errno < 1 || errno > MAX_ERRNO) {
            throw new IllegalArgumentException("errno " + errno + " outside [1, " + MAX_ERRNO + "]");
        }
        return copen(msgId, -errno);
    }

    /**
     * {@code copen <msg_id>,<size or -errno>} as the kernel reads it: a size ≥ 0, or an error in [-4095, -1].
     * Below -4095 the kernel would fail the OPEN with EINVAL instead of the value given; we refuse it.
     */
    public static String copen(int msgId, long sizeOrNegativeErrno) {
        if (sizeOrNegativeErrno < -MAX_ERRNO) {
            throw new IllegalArgumentException("copen value " + sizeOrNegativeErrno + " is neither a size nor -errno");
        }
        // msg_id is an unsigned xarray index; the kernel parses it with kstrtoul.
        return "copen " + Integer.toUnsignedString(msgId) + "," + sizeOrNegativeErrno;
    }

    /**
     * Names a command the kernel refused and, where there is one, what the operator should do about it; the
     * errno's text follows in the {@code ErrnoException} built from it.
     */
    public static String failure(String command, int errno) {
        String verb = command.indexOf(' ') < 0 ? command : command.substring(0, command.indexOf(' '));
        String hint = switch (verb) {
            case "bind" -> switch (errno) {
                case Errno.EINVAL -> "no cache directory was set, or the kernel lacks CONFIG_CACHEFILES_ONDEMAND";
                case Errno.ENOENT -> "the cache directory does not exist: create it first";
                case Errno.ENOTDIR -> "the cache directory is not a directory";
                case Errno.EBUSY -> "the cache is already bound on this fd";
                case Errno.ERANGE -> "the culling limits are inconsistent";
                default -> "";
            };
            case "dir", "tag" -> errno == Errno.EEXIST ? "it can be set once per open of /dev/cachefiles" : "";
            case "copen", "restore" -> switch (errno) {
                case Errno.EOPNOTSUPP -> "the cache is not bound in on-demand mode, or the kernel lacks"
                        + " CONFIG_CACHEFILES_ONDEMAND" + (verb.equals("restore") ? " (restore needs Linux 6.8+)" : "");
                case Errno.EINVAL -> verb.equals("copen")
                        ? "the msg_id is not an outstanding request (answered already, or the cache restarted)" : "";
                default -> "";
            };
            default -> errno == Errno.EOPNOTSUPP ? "the kernel does not know this command" : "";
        };
        return "cachefiles command '" + command + "'" + (hint.isEmpty() ? "" : " (" + hint + ")");
    }

    private static String command(String name, String argument) {
        if (argument.isEmpty()) {
            throw new IllegalArgumentException(name + ": empty argument");
        }
        if (isKernelSpace(argument.charAt(0))) {
            throw new IllegalArgumentException(name + ": argument starts with whitespace the kernel would strip");
        }
        for (int i = 0; i < argument.length(); i++) {
            char c = argument.charAt(i);
            if (c == '\n' || c == '\0') {
                throw new IllegalArgumentException(name + ": argument holds a " + (c == '\n' ? "newline" : "NUL")
                        + " the kernel would cut it at");
            }
        }
        String command = name + " " + argument;
        int bytes = command.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > COMMAND_MAX_BYTES) {
            throw new IllegalArgumentException(name + ": command of " + bytes + " bytes exceeds " + COMMAND_MAX_BYTES);
        }
        return command;
    }

    // isspace() in the kernel's ctype: space, \t, \n, \v, \f, \r.
    private static boolean isKernelSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
}
