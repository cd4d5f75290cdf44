package dev.ondemandd.daemon.core;

/**
 * The one way an object is named in log lines, by the core and every frontend alike: the frontend's id for it
 * (cachefiles: {@code object_id 7}), the core's id ({@code #12}, new per OPEN) and its key, e.g.
 * {@code object_id 7 #12 erofs,img/img}. A part not known yet (the core's id of an OPEN not answered) is left out,
 * so grepping either id finds every line of that object.
 */
public final class LogIds {

    /** The core's id of an object it has not opened yet. */
    public static final long NO_ID = -1;

    private LogIds() {
    }

    /** {@code <target label> #<id> <key>}, leaving out what is empty or {@link #NO_ID}. */
    public static String of(CacheTarget target, long id, ObjectKey key) {
        StringBuilder b = new StringBuilder(64);
        String label = target == null ? "" : target.label();
        if (label != null && !label.isEmpty()) {
            b.append(label).append(' ');
        }
        if (id != NO_ID) {
            b.append('#').append(id).append(' ');
        }
        return b.append(key).toString();
    }
}
