package dev.ondemandd.daemon.cache;

import dev.ondemandd.protocol.cachefiles.CachefilesCommands;
import java.util.ArrayList;
import java.util.List;

/**
 * The cachefiles culling limits on block space, in percent of the cache filesystem's free blocks
 * (Documentation/filesystems/caching/cachefiles.rst): below {@code bcull} culling is due, below {@code bstop} the
 * kernel refuses to write the cache (an on-demand READ then fails its reader with EIO: the disk never fills up
 * to the last block), above {@code brun} normal service resumes. Written before {@code bind}.
 *
 * @param brun percent of free blocks above which the cache runs freely
 * @param bcull percent below which culling is due
 * @param bstop percent below which cache writes are refused (ENOBUFS)
 */
public record CullLimits(int brun, int bcull, int bstop) {

    /** The kernel's defaults (cachefiles_daemon_open). */
    public static final CullLimits DEFAULTS = new CullLimits(7, 5, 1);

    public CullLimits {
        if (!(0 <= bstop && bstop < bcull && bcull < brun && brun < 100)) {
            throw new IllegalArgumentException("culling limits must satisfy 0 <= bstop < bcull < brun < 100, got brun "
                    + brun + "%, bcull " + bcull + "%, bstop " + bstop + "%");
        }
    }

    /**
     * The commands that take the kernel from its defaults to these limits, in an order in which each is accepted
     * (the kernel checks each limit against the two others as they stand); none when these are the defaults.
     */
    public List<String> commands() {
        int[] now = {DEFAULTS.brun, DEFAULTS.bcull, DEFAULTS.bstop};
        int[] want = {brun, bcull, bstop};
        String[] names = {"brun", "bcull", "bstop"};
        List<String> out = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 3; i++) {
                if (now[i] == want[i]) {
                    continue;
                }
                int[] next = now.clone();
                next[i] = want[i];
                if (ordered(next, i)) {
                    now = next;
                    out.add(CachefilesCommands.cullLimit(names[i], want[i]));
                }
            }
        }
        if (now[0] != brun || now[1] != bcull || now[2] != bstop) {
            throw new IllegalStateException("no order sets " + this + " from " + DEFAULTS);
        }
        return out;
    }

    /** The kernel's check of limit {@code i} just set, against the others as they stand. */
    private static boolean ordered(int[] v, int i) {
        return switch (i) {
            case 0 -> v[0] > v[1] && v[0] < 100;
            case 1 -> v[1] > v[2] && v[1] < v[0];
            default -> v[2] >= 0 && v[2] < v[1];
        };
    }
}
