package dev.ondemandd.daemon.control;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;

/**
 * Mounts and unmounts images while the daemon serves, the way its frontend does it (cachefiles: sources for the
 * image's cookies and {@code mount -t erofs -o fsid=...}; fanotify: metadata fetched, blobs marked, file-backed
 * mount). The control socket's {@code mount} and {@code umount} call it.
 */
public interface ImageMounter {

    /** The start of the error a {@code umount} of a mountpoint this daemon did not mount gets. */
    String NOT_MOUNTED_HERE = "not mounted by this daemon";

    /**
     * Mounts the image; its sources are in place before the kernel asks for them.
     *
     * @return what was mounted, for the reply
     * @throws ControlException what went wrong and what to do; nothing stays mounted or registered
     */
    JsonNode mount(MountRequest request) throws ControlException;

    /**
     * Unmounts the image this daemon mounted on {@code mountpoint} and forgets its sources.
     *
     * @throws ControlException starting with {@link #NOT_MOUNTED_HERE} when it mounted nothing there; busy, ...
     */
    void umount(Path mountpoint, boolean lazy) throws ControlException;

    /** The images mounted at runtime, for status. */
    List<? extends Object> images();
}
