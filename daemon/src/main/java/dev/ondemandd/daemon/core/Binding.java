package dev.ondemandd.daemon.core;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import java.io.IOException;
import java.lang.System.Logger.Level;

/**
 * The long-lived state of one {@link ObjectKey}: its resolved blob, shared by every open object of that key
 * (a re-open under a new object id may overlap the draining old one). Counted by {@link ObjectTable}.
 */
final class Binding {

    private static final System.Logger LOG = System.getLogger(Binding.class.getName());

    final ObjectKey key;
    /** Open objects (and opens in progress) using this binding; guarded by the table's map. */
    int users;
    private Blob blob;

    Binding(ObjectKey key) {
        this.key = key;
    }

    /** The blob, opened by the first caller; a failure is not remembered, so the next OPEN tries again. */
    synchronized Blob blob(SourceResolver resolver) throws FetchException {
        if (blob == null) {
            blob = resolver.resolve(key);
        }
        return blob;
    }

    synchronized void close() {
        if (blob != null) {
            try {
                blob.close();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "closing " + blob.describe() + " failed: " + e.getMessage());
            }
            blob = null;
        }
    }
}
