package dev.ondemandd.daemon.replay;

import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.config.SourceConfig;
import dev.ondemandd.daemon.trace.Trace;
import dev.ondemandd.daemon.trace.TraceEvent;
import dev.ondemandd.daemon.trace.TraceFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * Generates blobs and a trace that reads them, from a seed: what {@code demo} runs and what replay tests are
 * made of. Blobs are named {@code sha256:<hex of their content>}, their sizes are never page multiples, every
 * READ carries the sha256 of its bytes, objects overlap in time, and the first blob is closed and then opened
 * again under a new object id.
 */
public final class SampleData {

    public static final String VOLUME = "erofs,sample";
    private static final int PAGE = 4096;
    private static final int READ_SIZE = 64 * 1024;
    private static final long STEP_NS = 50_000;

    /** The blobs written and the trace over them. */
    public record Sample(Path directory, List<Path> blobs, Trace trace) {

        /** A configuration whose one source serves the blobs by cookie. */
        public DaemonConfig config() {
            return DaemonConfig.ofSources(List.of(new SourceConfig("erofs,*", "sha256:*",
                    directory.toUri() + "{cookie}")));
        }
    }

    private SampleData() {
    }

    /**
     * Writes {@code count} blobs of up to {@code maxSize} bytes into {@code directory} and builds a trace that
     * reads all of each (in {@value #READ_SIZE}-byte READs, interleaved across objects) and re-reads the first.
     */
    public static Sample generate(Path directory, int count, int maxSize, long seed) throws IOException {
        if (count < 1 || maxSize < 2 * PAGE) {
            throw new IllegalArgumentException("need at least one blob of at least two pages");
        }
        Random random = new Random(seed);
        List<Path> blobs = new ArrayList<>();
        List<byte[]> contents = new ArrayList<>();
        List<String> cookies = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int size = PAGE + 1 + random.nextInt(maxSize - PAGE - 1);
            if (size % PAGE == 0) {
                size--;
            }
            byte[] content = new byte[size];
            random.nextBytes(content);
            String cookie = "sha256:" + sha256(content, 0, size);
            Path blob = directory.resolve(cookie);
            Files.write(blob, content);
            blobs.add(blob);
            contents.add(content);
            cookies.add(cookie);
        }
        return new Sample(directory, blobs, readAll(cookies, contents, "generated"));
    }

    /**
     * A trace that opens each blob under its cookie key, reads all of each in {@value #READ_SIZE}-byte READs
     * interleaved across objects (each READ carrying the sha256 of its bytes), closes them, then opens the first
     * again under a new object id and reads its tail and head.
     *
     * @param cookies the cookie key of each blob
     * @param contents each blob's bytes
     * @param kernel what the trace header records as the kernel
     */
    public static Trace readAll(List<String> cookies, List<byte[]> contents, String kernel) {
        int count = contents.size();
        if (count < 1 || cookies.size() != count) {
            throw new IllegalArgumentException("need one cookie per blob and at least one blob");
        }
        List<TraceEvent> events = new ArrayList<>();
        long t = 0;
        long object = 0;
        long[] ids = new long[count];
        int[] next = new int[count];
        for (int i = 0; i < count; i++) {
            ids[i] = ++object;
            events.add(new TraceEvent.Open(t += STEP_NS, ids[i], VOLUME, cookies.get(i), contents.get(i).length));
        }
        // Round robin over the objects, as concurrent readers would interleave.
        boolean more = true;
        while (more) {
            more = false;
            for (int i = 0; i < count; i++) {
                byte[] content = contents.get(i);
                long off = (long) next[i] * READ_SIZE;
                if (off < content.length) {
                    int len = (int) Math.min(READ_SIZE, content.length - off);
                    events.add(read(t += STEP_NS, ids[i], content, off, len));
                    next[i]++;
                    more = true;
                }
            }
        }
        for (int i = 0; i < count; i++) {
            events.add(new TraceEvent.Close(t += STEP_NS, ids[i]));
        }
        // The first cookie again, under a new object id: state is keyed by cookie, not by object id.
        byte[] first = contents.get(0);
        long reopened = ++object;
        events.add(new TraceEvent.Open(t += STEP_NS, reopened, VOLUME, cookies.get(0), first.length));
        int tail = first.length % PAGE == 0 ? Math.min(PAGE, first.length) : first.length % PAGE;
        events.add(read(t += STEP_NS, reopened, first, first.length - tail, tail));
        events.add(read(t += STEP_NS, reopened, first, 0, Math.min(first.length, PAGE + 123)));
        events.add(new TraceEvent.Close(t += STEP_NS, reopened));
        return new Trace(Optional.of(new TraceEvent.Header(TraceFormat.VERSION, kernel,
                TraceFormat.CACHEFILES_LAYOUT)), events);
    }

    private static TraceEvent.Read read(long t, long object, byte[] content, long off, int len) {
        return new TraceEvent.Read(t, object, off, len, sha256(content, (int) off, len));
    }

    static String sha256(byte[] bytes, int from, int length) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(Arrays.copyOfRange(bytes, from, from + length));
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
