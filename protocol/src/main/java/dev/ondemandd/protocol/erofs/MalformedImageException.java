package dev.ondemandd.protocol.erofs;

import java.io.IOException;

/** An EROFS image whose superblock or device table cannot be trusted; the message says which field. */
public final class MalformedImageException extends IOException {
    private static final long serialVersionUID = 1L;

    public MalformedImageException(String message) {
        super(message);
    }
}
