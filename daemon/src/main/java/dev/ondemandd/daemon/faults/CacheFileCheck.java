package dev.ondemandd.daemon.faults;

import dev.ondemandd.daemon.core.ObjectKey;
import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.protocol.nativeio.NativeFile;
import dev.ondemandd.protocol.nativeio.Posix;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Checks every byte the daemon wrote into the simulated kernel's cache files against the source: each data
 * extent (SEEK_DATA / SEEK_HOLE) of {@code I<volume>/D<cookie hex>} must equal the source's bytes, and the tail
 * of the last page past the source's end must be zeros. Holes are not checked: nothing was written there.
 */
final class CacheFileCheck {

    private static final int CHUNK = 1 << 20;

    /**
     * What the check found.
     *
     * @param files cache files checked
     * @param bytesVerified bytes of data extents compared
     * @param wrongBytes bytes that differ from the source
     * @param problems one line per file with a wrong byte or that could not be checked
     */
    record Result(long files, long bytesVerified, long wrongBytes, List<String> problems) {
    }

    private CacheFileCheck() {
    }

    static Result check(Path cacheDir, SourceResolver sources) throws IOException {
        long files = 0;
        long verified = 0;
        long wrong = 0;
        List<String> problems = new ArrayList<>();
        if (cacheDir == null || !Files.isDirectory(cacheDir)) {
            return new Result(0, 0, 0, problems);
        }
        List<Path> all;
        try (Stream<Path> walk = Files.walk(cacheDir)) {
            all = walk.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path file : all) {
            String volumeDir = file.getParent().getFileName().toString();
            String name = file.getFileName().toString();
            if (!volumeDir.startsWith("I") || !name.startsWith("D")) {
                problems.add(file + ": not a cache file name");
                continue;
            }
            ObjectKey key = new ObjectKey(unescape(volumeDir.substring(1)), HexFormat.of().parseHex(name, 1,
                    name.length()));
            files++;
            if (empty(file)) {
                continue; // opened, never written (e.g. an OPEN that was refused): nothing to check
            }
            try (Blob source = sources.resolve(key); NativeFile cache = NativeFile.open(file.toString(),
                    Posix.O_RDONLY | Posix.O_CLOEXEC)) {
                long[] counts = compare(cache, source);
                verified += counts[0];
                wrong += counts[1];
                if (counts[1] > 0) {
                    problems.add(file + " (" + key + "): " + counts[1] + " bytes differ from the source, first at "
                            + counts[2]);
                }
            } catch (IOException e) {
                problems.add(file + " (" + key + "): cannot check: " + e.getMessage());
            }
        }
        return new Result(files, verified, wrong, problems);
    }

    private static boolean empty(Path file) throws IOException {
        try (NativeFile cache = NativeFile.open(file.toString(), Posix.O_RDONLY | Posix.O_CLOEXEC)) {
            long data = cache.seekData(0);
            return data < 0 || data >= cache.size();
        }
    }

    /** @return {bytes compared, bytes wrong, offset of the first wrong byte or -1} */
    private static long[] compare(NativeFile cache, Blob source) throws IOException {
        long size = cache.size();
        long compared = 0;
        long wrong = 0;
        long firstWrong = -1;
        ByteBuffer have = ByteBuffer.allocateDirect(CHUNK);
        ByteBuffer want = ByteBuffer.allocate(CHUNK);
        long at = cache.seekData(0);
        while (at >= 0 && at < size) {
            long end = cache.seekHole(at);
            if (end < 0) {
                end = size;
            }
            for (long pos = at; pos < end; pos += CHUNK) {
                int n = (int) Math.min(CHUNK, end - pos);
                have.clear().limit(n);
                while (have.hasRemaining()) {
                    if (cache.pread(have, pos + have.position()) <= 0) {
                        break;
                    }
                }
                have.flip();
                want.clear().limit(have.limit());
                long inSource = Math.max(0, Math.min(want.limit(), source.size() - pos));
                want.limit((int) inSource);
                if (inSource > 0) {
                    source.read(pos, want);
                }
                want.limit(have.limit());
                for (int i = (int) inSource; i < have.limit(); i++) {
                    want.put(i, (byte) 0);
                }
                for (int i = 0; i < have.limit(); i++) {
                    if (have.get(i) != want.get(i)) {
                        wrong++;
                        if (firstWrong < 0) {
                            firstWrong = pos + i;
                        }
                    }
                }
                compared += have.limit();
            }
            at = end >= size ? -1 : cache.seekData(end);
        }
        return new long[] {compared, wrong, firstWrong};
    }

    /** Undoes the cache's volume directory escaping ({@code %XX} for bytes outside {@code [A-Za-z0-9,.-_]}). */
    static String unescape(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '%' && i + 2 < name.length()) {
                out.write(HexFormat.fromHexDigits(name, i + 1, i + 3));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
