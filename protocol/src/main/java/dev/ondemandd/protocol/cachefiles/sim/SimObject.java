package dev.ondemandd.protocol.cachefiles.sim;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A cache object as the filesystem side holds it: one cookie of one volume, from a successful open until
 * {@link SimulatedCachefilesKernel#close(SimObject)}. Its state changes under the kernel's lock.
 */
public final class SimObject {

    /** cachefiles_object's on-demand states, plus WITHDRAWN once the filesystem let go of it. */
    enum State {
        OPENING, OPEN, CLOSE, REOPENING, WITHDRAWN
    }

    private final String volumeKey;
    private final byte[] cookieKey;
    CacheFile file; // set when the first OPEN is read
    volatile State state = State.OPENING;
    volatile int objectId; // 0 until an OPEN is read, then the id of the current anonymous fd
    volatile long size = -1;

    SimObject(String volumeKey, byte[] cookieKey) {
        this.volumeKey = volumeKey;
        this.cookieKey = cookieKey.clone();
    }

    /** The volume key, without its NUL. */
    public String volumeKey() {
        return volumeKey;
    }

    /** A copy of the binary cookie key. */
    public byte[] cookieKey() {
        return cookieKey.clone();
    }

    byte[] cookieKeyShared() {
        return cookieKey;
    }

    /** The object size the daemon's copen gave; -1 before. */
    public long size() {
        return size;
    }

    /** The object_id of the current anonymous fd (changes on every OPEN, re-opens included); 0 before any. */
    public int objectId() {
        return objectId;
    }

    /** Whether the daemon has the object open (copen succeeded, its fd not closed). */
    public boolean isOpen() {
        return state == State.OPEN;
    }

    boolean sameCookie(String volume, byte[] cookie) {
        return volumeKey.equals(volume) && Arrays.equals(cookieKey, cookie);
    }

    @Override
    public String toString() {
        return "SimObject[" + volumeKey + "/" + HexFormat.of().formatHex(cookieKey) + ", " + state + ", object_id "
                + objectId + "]";
    }
}
