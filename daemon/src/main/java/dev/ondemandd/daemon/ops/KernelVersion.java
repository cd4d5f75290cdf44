package dev.ondemandd.daemon.ops;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Linux kernel release as {@code uname -r} prints it ({@code 6.18.44-fc-v657}, {@code 6.0.0-rc4},
 * {@code 5.19.0-41-generic}), ordered so that {@code 6.0-rc4 < 6.0 < 6.0.1}.
 *
 * @param major   the major version
 * @param minor   the minor version
 * @param patch   the stable patch level, 0 when absent
 * @param rc      the release candidate, 0 for a release
 * @param release the string it was parsed from, for logs
 */
public record KernelVersion(int major, int minor, int patch, int rc, String release)
        implements Comparable<KernelVersion> {

    /** Where the running kernel's release is read from. */
    public static final Path OSRELEASE = Path.of("/proc/sys/kernel/osrelease");

    /** Longer releases are not a kernel's: refuse before matching. */
    public static final int MAX_RELEASE_LENGTH = 256;

    private static final Pattern RELEASE = Pattern.compile("(\\d{1,4})\\.(\\d{1,4})(?:\\.(\\d{1,6}))?(?:-rc(\\d{1,3}))?.*");

    /** A version without a release string, for comparisons: {@code of(6, 0, 0, 4)} is 6.0-rc4. */
    public static KernelVersion of(int major, int minor, int patch, int rc) {
        return new KernelVersion(major, minor, patch, rc,
                major + "." + minor + "." + patch + (rc > 0 ? "-rc" + rc : ""));
    }

    /** A release, 0 patch level. */
    public static KernelVersion of(int major, int minor) {
        return of(major, minor, 0, 0);
    }

    /**
     * Parses a release string.
     *
     * @throws IllegalArgumentException when it does not start with {@code MAJOR.MINOR}
     */
    public static KernelVersion parse(String release) {
        String trimmed = release.strip();
        if (trimmed.length() > MAX_RELEASE_LENGTH) {
            throw new IllegalArgumentException("kernel release longer than " + MAX_RELEASE_LENGTH + " characters");
        }
        Matcher m = RELEASE.matcher(trimmed);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a kernel release (MAJOR.MINOR[.PATCH][-rcN]...): " + trimmed);
        }
        return new KernelVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                m.group(3) == null ? 0 : Integer.parseInt(m.group(3)),
                m.group(4) == null ? 0 : Integer.parseInt(m.group(4)), trimmed);
    }

    /** The running kernel, from {@link #OSRELEASE}. */
    public static KernelVersion running() throws IOException {
        return parse(Files.readString(OSRELEASE, StandardCharsets.US_ASCII));
    }

    /** True when this kernel is {@code other} or newer. */
    public boolean atLeast(KernelVersion other) {
        return compareTo(other) >= 0;
    }

    @Override
    public int compareTo(KernelVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        if (c == 0) {
            c = Integer.compare(patch, o.patch);
        }
        if (c == 0) {
            // a release candidate precedes its release: rc 0 (the release) sorts last
            c = Integer.compare(rc == 0 ? Integer.MAX_VALUE : rc, o.rc == 0 ? Integer.MAX_VALUE : o.rc);
        }
        return c;
    }

    @Override
    public String toString() {
        return release;
    }
}
