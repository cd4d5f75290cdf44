package dev.ondemandd.daemon.core;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * What the kernel asks for, independent of any per-open id: the volume key and the cookie key of a cache
 * object (cachefiles), or an image and a blob name (fanotify). Long-lived state is keyed by this, because
 * object ids are new on every OPEN, including a re-open of the same cookie.
 *
 * @param volume the volume key as text (EROFS: {@code erofs,<domain_id or fsid>})
 * @param cookie the cookie key, binary as the kernel sends it (EROFS: the fsid or a device tag)
 */
public record ObjectKey(String volume, byte[] cookie) {

    public ObjectKey {
        if (volume == null || cookie == null) {
            throw new NullPointerException("volume and cookie are required");
        }
        cookie = cookie.clone();
    }

    /** A key whose cookie is the UTF-8 encoding of {@code cookie}. */
    public static ObjectKey of(String volume, String cookie) {
        return new ObjectKey(volume, cookie.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public byte[] cookie() {
        return cookie.clone();
    }

    /**
     * The cookie as text: its UTF-8 decoding when it is valid UTF-8, else {@code hex:} and its hex digits
     * (so two different binary cookies never read the same).
     */
    public String cookieText() {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(cookie))
                    .toString();
        } catch (CharacterCodingException e) {
            return "hex:" + HexFormat.of().formatHex(cookie);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ObjectKey k && k.volume.equals(volume) && Arrays.equals(k.cookie, cookie);
    }

    @Override
    public int hashCode() {
        return volume.hashCode() * 31 + Arrays.hashCode(cookie);
    }

    @Override
    public String toString() {
        return volume + "/" + cookieText();
    }
}
