package dev.ondemandd.daemon.frontend.fanotify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads /proc/self/mountinfo to tell whether a directory is a mountpoint. */
public final class Mountinfo {
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");
    /** The mount point is the fifth space-separated field. */
    private static final int MOUNT_POINT_FIELD = 4;

    private Mountinfo() {
    }

    /** Whether something is mounted on {@code dir} (compared after resolving symlinks). */
    public static boolean isMountPoint(Path dir) throws IOException {
        String target = dir.toRealPath().toString();
        for (String line : Files.readAllLines(MOUNTINFO)) {
            String[] fields = line.split(" ");
            if (fields.length > MOUNT_POINT_FIELD && unescape(fields[MOUNT_POINT_FIELD]).equals(target)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The source of the EROFS filesystem mounted on {@code dir} (for a file-backed mount, the metadata image's
     * path), empty when none is. Fields after the " - " separator: fstype, source, super options.
     */
    static java.util.Optional<String> erofsSource(Path dir) throws IOException {
        String target = dir.toRealPath().toString();
        String found = null;
        for (String line : Files.readAllLines(MOUNTINFO)) {
            String[] fields = line.split(" ");
            int sep = java.util.Arrays.asList(fields).indexOf("-");
            if (fields.length > MOUNT_POINT_FIELD && unescape(fields[MOUNT_POINT_FIELD]).equals(target)) {
                // the last mount on a directory is the one visible there
                found = sep > 0 && sep + 2 < fields.length && fields[sep + 1].equals("erofs")
                        ? unescape(fields[sep + 2]) : null;
            }
        }
        return java.util.Optional.ofNullable(found);
    }

    /** Undoes the kernel's octal escapes of space, tab, newline and backslash. */
    static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }
}
