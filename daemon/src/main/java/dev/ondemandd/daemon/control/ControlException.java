package dev.ondemandd.daemon.control;

/**
 * A request the daemon could not carry out; the message goes back to the client as {@code "error"}, so it
 * says what went wrong and what to do, and holds no secrets.
 */
public class ControlException extends Exception {
    private static final long serialVersionUID = 1L;

    public ControlException(String message) {
        super(message);
    }

    public ControlException(String message, Throwable cause) {
        super(message, cause);
    }
}
