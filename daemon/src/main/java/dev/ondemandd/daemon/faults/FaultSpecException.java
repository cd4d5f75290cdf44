package dev.ondemandd.daemon.faults;

/** A {@code --faults} spec that cannot be parsed; the message says which entry and what is expected. */
public final class FaultSpecException extends Exception {
    private static final long serialVersionUID = 1L;

    public FaultSpecException(String message) {
        super("--faults: " + message);
    }
}
