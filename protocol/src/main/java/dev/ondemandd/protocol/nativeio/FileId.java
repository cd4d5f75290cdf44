package dev.ondemandd.protocol.nativeio;

/**
 * Identifies an inode: the device it lives on and its inode number, as statx(2) reports them. Two fds refer to
 * the same file exactly when their ids are equal, whatever path or open flags they came from.
 */
public record FileId(int devMajor, int devMinor, long ino) {
    @Override
    public String toString() {
        return devMajor + ":" + devMinor + ":" + Long.toUnsignedString(ino);
    }
}
