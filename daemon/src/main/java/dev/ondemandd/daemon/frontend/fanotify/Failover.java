package dev.ondemandd.daemon.frontend.fanotify;

import dev.ondemandd.protocol.nativeio.FanotifyGroup;
import dev.ondemandd.protocol.nativeio.FileId;
import dev.ondemandd.protocol.nativeio.Posix;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * The fanotify group, the pending-event journal and the blob writers of one worker, and whether they were handed
 * back by the fd holder (a predecessor died) or made anew. Names in the holder: {@value #GROUP},
 * {@value #JOURNAL}, and {@code fb-<cache file name>} per blob writer.
 */
public final class Failover {
    private static final System.Logger LOG = System.getLogger(Failover.class.getName());
    static final String GROUP = "fanotify";
    static final String JOURNAL = "fanotify-journal";
    private static final String WRITER_PREFIX = "fb-";
    private static final Path LIMITS = Path.of("/proc/self/limits");
    /** Where /proc/self/limits is unreadable: the probe then covers the usual default soft limit. */
    private static final int DEFAULT_FD_LIMIT = 1024;

    private final FdHolder holder;
    private final FanotifyGroup group;
    private final boolean adopted;
    private final PendingJournal journal;
    private final int probeLimit;
    private final List<String> stored = new ArrayList<>();

    private Failover(FdHolder holder, FanotifyGroup group, boolean adopted, PendingJournal journal, int probeLimit) {
        this.holder = holder;
        this.group = group;
        this.adopted = adopted;
        this.journal = journal;
        this.probeLimit = probeLimit;
    }

    /** A new group and no journal: nothing outlives this process (tests, {@code mount} without a holder). */
    public static Failover without(FanotifyGroup group) {
        return new Failover(FdHolder.none(), group, false, PendingJournal.disabled(), 0);
    }

    /**
     * Takes the group and journal back from {@code holder}, or opens a new group and, when the holder keeps fds,
     * creates a journal in {@code runtimeDir} (unlinked at once: the holder's fd keeps it) and stores both.
     */
    public static Failover start(FdHolder holder, Path runtimeDir) throws IOException {
        int fdLimit = fdLimit();
        OptionalInt held = holder.take(GROUP);
        if (held.isPresent()) {
            FanotifyGroup group = FanotifyGroup.adopt(held.getAsInt());
            PendingJournal journal = PendingJournal.disabled();
            int probe = fdLimit;
            OptionalInt journalFd = holder.take(JOURNAL);
            if (journalFd.isPresent()) {
                try {
                    journal = PendingJournal.open(Path.of("/proc/self/fd/" + journalFd.getAsInt()));
                    probe = Math.max(journal.fdLimit(), fdLimit);
                    journal.raiseFdLimit(fdLimit);
                } catch (IOException e) {
                    LOG.log(Level.ERROR, "failover: " + e.getMessage() + "; every event left pending will get EIO");
                } finally {
                    Posix.close(journalFd.getAsInt());
                }
            } else {
                LOG.log(Level.WARNING, "failover: the fanotify group came back without its journal; every event"
                        + " left pending will get EIO");
            }
            Failover f = new Failover(holder, group, true, journal, probe);
            f.stored.add(GROUP);
            if (journal.enabled()) {
                f.stored.add(JOURNAL);
            }
            return f;
        }
        FanotifyGroup group = FanotifyGroup.open();
        if (!holder.enabled()) {
            return new Failover(holder, group, false, PendingJournal.disabled(), 0);
        }
        PendingJournal journal = PendingJournal.disabled();
        try {
            Files.createDirectories(runtimeDir);
            Path file = Files.createTempFile(runtimeDir, "fanotify-", ".journal");
            try {
                journal = PendingJournal.create(file, fdLimit);
                int fd = Posix.open(file.toString(), Posix.O_RDWR | Posix.O_CLOEXEC);
                try {
                    holder.store(JOURNAL, fd);
                } finally {
                    Posix.close(fd);
                }
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "failover: no journal in " + runtimeDir + " (" + e.getMessage() + "); if this"
                    + " worker dies, the events it read will get EIO");
        }
        Failover f = new Failover(holder, group, false, journal, 0);
        holder.store(GROUP, group.fd());
        f.stored.add(GROUP);
        if (journal.enabled()) {
            f.stored.add(JOURNAL);
        }
        return f;
    }

    /** The soft RLIMIT_NOFILE (the JVM raises it to the hard limit at start): every fd number is below it. */
    static int fdLimit() {
        try {
            for (String line : Files.readAllLines(LIMITS)) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                    return f[0].equals("unlimited") ? Integer.MAX_VALUE : (int) Math.min(Integer.MAX_VALUE,
                            Long.parseLong(f[0]));
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "reading " + LIMITS + ": " + e);
        }
        return DEFAULT_FD_LIMIT;
    }

    /**
     * Whether the group has a mark on {@code file}, from /proc/self/fdinfo of the group's fd: one line per inode
     * mark, {@code fanotify ino:<hex> sdev:<hex> ...}, sdev in the kernel's encoding (major << 20 | minor).
     */
    boolean isMarked(FileId file) {
        String ino = "ino:" + Long.toHexString(file.ino()) + " ";
        String sdev = "sdev:" + Integer.toHexString((file.devMajor() << 20) | file.devMinor()) + " ";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + group.fd()))) {
                if (line.startsWith("fanotify ") && line.contains(ino) && line.contains(sdev)) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return true; // unknown: assume marked, so no writer is opened that could raise events
        }
    }

    public FanotifyGroup group() {
        return group;
    }

    /** Whether the group came back from the holder: a predecessor died, its mounts and marks are still there. */
    public boolean adopted() {
        return adopted;
    }

    PendingJournal journal() {
        return journal;
    }

    /** Every fd number below it may hold an event a predecessor left pending. */
    int probeLimit() {
        return probeLimit;
    }

    /**
     * The writer fd of a blob's cache file kept by the holder, or a new one when the file is not marked by the
     * group yet (an fd opened before the mark raises no events, so filling through it cannot wait on itself):
     * -1 when neither is possible (the file is marked and its writer is lost: writes then go through an event
     * fd).
     */
    synchronized int writer(Path cacheFile, boolean marked) throws IOException {
        String name = WRITER_PREFIX + cacheFile.getFileName();
        OptionalInt held = holder.take(name);
        if (held.isPresent()) {
            if (!stored.contains(name)) {
                stored.add(name);
            }
            return held.getAsInt();
        }
        if (marked) {
            return -1;
        }
        int fd = Posix.open(cacheFile.toString(), Posix.O_RDWR | Posix.O_CLOEXEC);
        if (holder.store(name, fd)) {
            stored.add(name);
        }
        return fd;
    }

    /**
     * Whether a successor can take over what this worker leaves pending: the holder keeps the group and the journal
     * of pending events (without the journal a successor could only fail them).
     */
    public synchronized boolean handsOver() {
        return stored.contains(GROUP) && journal.enabled() && stored.contains(JOURNAL);
    }

    /** Serving stops on purpose: the holder lets go of everything this worker stored or took back. */
    synchronized void release() {
        for (String name : stored) {
            holder.remove(name);
        }
        stored.clear();
    }
}
