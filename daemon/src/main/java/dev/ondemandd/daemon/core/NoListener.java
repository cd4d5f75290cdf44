package dev.ondemandd.daemon.core;

/** The listener that observes nothing. */
enum NoListener implements CoreListener {
    INSTANCE
}
