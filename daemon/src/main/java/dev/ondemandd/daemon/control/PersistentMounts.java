package dev.ondemandd.daemon.control;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A frontend's {@link ImageMounter} whose runtime mounts outlive the process: every mount and umount that succeeds
 * rewrites the {@link MountState}. A write that fails leaves the mount as it is and says, in one ERROR line, that
 * it will not survive a restart.
 */
public final class PersistentMounts implements ImageMounter {

    private static final System.Logger LOG = System.getLogger(PersistentMounts.class.getName());

    private final ImageMounter mounter;
    private final MountState state;
    private final List<MountRequest> mounts;

    /** @param restored the mounts a previous daemon left in {@code state} that {@code mounter} serves again */
    public PersistentMounts(ImageMounter mounter, MountState state, List<MountRequest> restored) {
        this.mounter = mounter;
        this.state = state;
        this.mounts = new ArrayList<>(restored);
    }

    @Override
    public synchronized JsonNode mount(MountRequest request) throws ControlException {
        JsonNode result = mounter.mount(request);
        mounts.removeIf(m -> m.mountpoint().equals(request.mountpoint()));
        mounts.add(request);
        save("mount of " + request.mountpoint());
        return result;
    }

    @Override
    public synchronized void umount(Path mountpoint, boolean lazy) throws ControlException {
        mounter.umount(mountpoint, lazy);
        mounts.removeIf(m -> m.mountpoint().equals(mountpoint));
        save("umount of " + mountpoint);
    }

    @Override
    public List<? extends Object> images() {
        return mounter.images();
    }

    /** The mounts as the state file lists them. */
    public synchronized List<MountRequest> mounts() {
        return List.copyOf(mounts);
    }

    /** Writes the file as the mounts are now (after restored mounts that could not be served again were left out). */
    public synchronized void save() {
        save("restart");
    }

    private void save(String what) {
        try {
            state.save(mounts);
        } catch (IOException e) {
            LOG.log(Level.ERROR, "writing " + state.file() + " after the " + what + " failed: " + e.getMessage()
                    + "; the runtime mounts as they are now will not be served again after a restart");
        }
    }
}
