package dev.ondemandd.protocol.cachefiles;

/**
 * A message read from /dev/cachefiles that does not decode. Carries what the daemon must still do so the kernel
 * is never left waiting: a malformed OPEN whose header is intact is answered {@code copen <msg_id>,-EINVAL} (and
 * its anonymous fd, when known, closed); a malformed READ whose header is intact is completed without data, so
 * the reader gets EIO; anything else is dropped and counted by {@link Reason}.
 */
public final class MalformedMessageException extends Exception {

    /** EINVAL, what a malformed OPEN is failed with. */
    public static final int EINVAL = 22;

    /** What went wrong; one metrics label value per constant. */
    public enum Reason {
        /** Fewer bytes than a header. */
        TRUNCATED_HEADER,
        /** More bytes than CACHEFILES_MSG_MAX_SIZE. */
        TOO_LONG,
        /** The header's len differs from the bytes read(). */
        LENGTH_MISMATCH,
        /** An opcode this daemon does not know. */
        UNKNOWN_OPCODE,
        /** An OPEN shorter than its fixed part. */
        TRUNCATED_OPEN,
        /** volume_key_size + cookie_key_size disagree with the payload. */
        KEY_SIZES_MISMATCH,
        /** The volume key is empty, too long, lacks its NUL, or holds a NUL inside. */
        BAD_VOLUME_KEY,
        /** The volume key is not strict UTF-8. */
        VOLUME_KEY_ENCODING,
        /** The cookie key is longer than 255 bytes. */
        COOKIE_KEY_TOO_LONG,
        /** The anonymous fd does not fit an int fd. */
        BAD_FD,
        /** A READ or CLOSE of the wrong size. */
        BAD_SIZE,
        /** A READ range that is negative or overflows as a signed 64-bit offset. */
        BAD_RANGE,
        /** An object_id outside [1, INT_MAX], the range the kernel allocates from. */
        BAD_OBJECT_ID;

        /** The label for metrics and logs. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** What the daemon does about the message. */
    public enum Answer {
        /** write {@code copen <msgId>,-EINVAL}, then close {@link #openFd()} if it is not -1. */
        COPEN_ERROR,
        /** READ_COMPLETE {@link #msgId()} on object {@link #objectId()}'s fd without writing: the reader gets EIO. */
        FAIL_READ,
        /** Nothing can be answered; count it. */
        DROP
    }

    private final Reason reason;
    private final Answer answer;
    private final int opcode;
    private final int msgId;
    private final int objectId;
    private final int openFd;

    MalformedMessageException(Reason reason, Answer answer, int opcode, int msgId, int objectId, int openFd,
            String detail) {
        super(reason.label() + ": " + detail, null, false, false);
        this.reason = reason;
        this.answer = answer;
        this.opcode = opcode;
        this.msgId = msgId;
        this.objectId = objectId;
        this.openFd = openFd;
    }

    /** Why the message was refused. */
    public Reason reason() {
        return reason;
    }

    /** What to do about it. */
    public Answer answer() {
        return answer;
    }

    /** The header's opcode, or -1 when the header itself was cut short. */
    public int opcode() {
        return opcode;
    }

    /** The header's msg_id (unsigned); meaningful unless the header was cut short. */
    public int msgId() {
        return msgId;
    }

    /** The header's object_id; meaningful unless the header was cut short. */
    public int objectId() {
        return objectId;
    }

    /** The anonymous fd a malformed OPEN installed in this process, to close; -1 when unknown. */
    public int openFd() {
        return openFd;
    }

    /** The value to put in {@code copen <msg_id>,<value>} for {@link Answer#COPEN_ERROR}. */
    public int copenResult() {
        return -EINVAL;
    }
}
