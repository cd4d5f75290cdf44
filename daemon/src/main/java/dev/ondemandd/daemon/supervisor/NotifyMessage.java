package dev.ondemandd.daemon.supervisor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One sd_notify datagram: newline-separated {@code KEY=VALUE} assignments (sd_notify(3)). Lines without '=' and
 * empty lines are ignored, as systemd ignores them; a key given twice keeps its last value.
 */
record NotifyMessage(Map<String, String> fields) {
    /** systemd's name for fds stored without FDNAME=. */
    static final String DEFAULT_FD_NAME = "stored";

    static NotifyMessage parse(String text) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return new NotifyMessage(fields);
    }

    private boolean is(String key) {
        return "1".equals(fields.get(key));
    }

    boolean ready() {
        return is("READY");
    }

    boolean stopping() {
        return is("STOPPING");
    }

    /** WATCHDOG=1: the worker's serving loops came round. */
    boolean watchdog() {
        return is("WATCHDOG");
    }

    boolean fdStore() {
        return is("FDSTORE");
    }

    boolean fdStoreRemove() {
        return is("FDSTOREREMOVE");
    }

    /** FDNAME=, or systemd's default. */
    String fdName() {
        String name = fields.get("FDNAME");
        return name == null || name.isEmpty() ? DEFAULT_FD_NAME : name;
    }

    /** STATUS=, null when absent. */
    String status() {
        return fields.get("STATUS");
    }
}
