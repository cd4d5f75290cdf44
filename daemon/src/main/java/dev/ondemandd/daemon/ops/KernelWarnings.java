package dev.ondemandd.daemon.ops;

import java.util.ArrayList;
import java.util.List;

/**
 * What the running kernel lacks or gets wrong on the path a frontend uses, said once at start so that an
 * operator reading the first lines of the journal knows why a feature is off. {@link Severity#UNUSABLE}
 * means the frontend cannot work on this kernel at all.
 */
public final class KernelWarnings {

    /** The kernel interfaces the daemon serves through. */
    public enum Path {
        /** /dev/cachefiles in on-demand mode, EROFS over fscache. */
        CACHEFILES,
        /** fanotify pre-content events. */
        FANOTIFY
    }

    /** How bad a finding is. */
    public enum Severity {
        /** Works, with a limitation or a known kernel bug. */
        WARNING,
        /** The frontend cannot work on this kernel. */
        UNUSABLE
    }

    /**
     * One finding.
     *
     * @param severity how bad
     * @param text     one log line: what is missing and what follows for the operator
     */
    public record Warning(Severity severity, String text) {
    }

    static final KernelVersion ONDEMAND = KernelVersion.of(5, 19);
    static final KernelVersion FAIR_DISPATCH = KernelVersion.of(6, 0, 0, 4);
    static final KernelVersion DOMAIN_ID = KernelVersion.of(6, 1);
    static final KernelVersion RESTORE = KernelVersion.of(6, 8);
    static final KernelVersion FIXES_2024 = KernelVersion.of(6, 10);
    static final KernelVersion FSCACHE_DEPRECATED = KernelVersion.of(6, 12);
    static final KernelVersion FSCACHE_REMOVED = KernelVersion.of(7, 2);
    static final KernelVersion PRE_CONTENT = KernelVersion.of(6, 14);

    private KernelWarnings() {
    }

    /** The findings for {@code kernel} on {@code path}, worst first; empty when nothing is known amiss. */
    public static List<Warning> check(KernelVersion kernel, Path path) {
        List<Warning> found = new ArrayList<>();
        String k = "kernel " + kernel.release() + ": ";
        if (path == Path.FANOTIFY) {
            if (!kernel.atLeast(PRE_CONTENT)) {
                found.add(new Warning(Severity.UNUSABLE, k + "no fanotify pre-content events before 6.14;"
                        + " use the cachefiles frontend or a newer kernel"));
            }
            return found;
        }
        if (kernel.atLeast(FSCACHE_REMOVED)) {
            found.add(new Warning(Severity.UNUSABLE, k + "EROFS over fscache was removed in 7.2;"
                    + " use the fanotify frontend"));
            return found;
        }
        if (!kernel.atLeast(ONDEMAND)) {
            found.add(new Warning(Severity.UNUSABLE, k + "cachefiles on-demand mode needs 5.19 or newer"
                    + " (CONFIG_CACHEFILES_ONDEMAND)"));
            return found;
        }
        if (!kernel.atLeast(FAIR_DISPATCH)) {
            found.add(new Warning(Severity.WARNING, k + "cachefiles hands out requests unfairly before 6.0-rc4:"
                    + " one busy image can starve the others"));
        }
        if (!kernel.atLeast(DOMAIN_ID)) {
            found.add(new Warning(Severity.WARNING, k + "no EROFS domain_id before 6.1:"
                    + " images cannot share blobs in one cache domain"));
        }
        if (!kernel.atLeast(RESTORE)) {
            found.add(new Warning(Severity.WARNING, k + "no cachefiles 'restore' before 6.8:"
                    + " a daemon restart fails pending reads (no failover through the fd store)"));
        }
        if (!kernel.atLeast(FIXES_2024)) {
            found.add(new Warning(Severity.WARNING, k + "lacks the 2024 cachefiles on-demand fixes (6.10):"
                    + " hangs and use-after-free on daemon restart or umount are possible"));
        }
        if (kernel.atLeast(FSCACHE_DEPRECATED)) {
            found.add(new Warning(Severity.WARNING, k + "EROFS over fscache is deprecated since 6.12 and removed"
                    + " in 7.2; plan the move to the fanotify frontend"));
        }
        return found;
    }

    /** True when a finding says the frontend cannot work. */
    public static boolean unusable(List<Warning> warnings) {
        return warnings.stream().anyMatch(w -> w.severity() == Severity.UNUSABLE);
    }

    /** Logs each finding on one line: UNUSABLE as ERROR, the rest as WARNING. */
    public static void log(List<Warning> warnings) {
        System.Logger log = System.getLogger(KernelWarnings.class.getName());
        for (Warning w : warnings) {
            log.log(w.severity() == Severity.UNUSABLE ? System.Logger.Level.ERROR : System.Logger.Level.WARNING,
                    w.text());
        }
    }
}
