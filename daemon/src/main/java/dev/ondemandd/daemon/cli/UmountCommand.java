package dev.ondemandd.daemon.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ondemandd.daemon.control.ControlClient;
import dev.ondemandd.daemon.control.ControlProtocol;
import dev.ondemandd.protocol.nativeio.ErrnoException;
import dev.ondemandd.protocol.nativeio.Mounts;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ondemandd umount}: unmounts an image mounted by {@code ondemandd mount}. A running daemon that mounted it
 * unmounts it and forgets its sources; otherwise the mount is removed here and the process serving it exits.
 */
@Command(name = "umount", mixinStandardHelpOptions = true,
        description = "Unmount an image mounted by `ondemandd mount`: the running daemon that mounted it unmounts it"
                + " and forgets its sources; a mount served by its own `ondemandd mount` process is unmounted and that"
                + " process exits. Needs root.")
final class UmountCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MOUNTPOINT")
    Path mountpoint;

    @Option(names = "--lazy", description = "Detach now even when busy (MNT_DETACH); open files keep working"
            + " only while the serving process runs.")
    boolean lazy;

    @Option(names = "--socket", paramLabel = "PATH", description = "The control socket of the daemon that mounted it"
            + " (default: /run/ondemandd/control.sock when a daemon runs there).")
    Path socket;

    @Override
    public Integer call() throws Exception {
        Path target = mountpoint.toAbsolutePath().normalize();
        ControlClient daemon = DaemonConnection.open(socket, false);
        if (daemon != null) {
            try (daemon) {
                ObjectNode request = ControlProtocol.request("umount");
                request.put("mountpoint", target.toString());
                request.put("lazy", lazy);
                if (DaemonConnection.callUnlessNotMountedThere(daemon, request)) {
                    return ExitCode.OK;
                }
            }
        }
        // mounted by `ondemandd mount` serving it itself (or by hand): that process sees the mount go and exits
        try {
            Mounts.umount(target, lazy);
        } catch (ErrnoException e) {
            throw new CliException(e.errno() == ErrnoException.EINVAL || e.errno() == ErrnoException.ENOENT
                    ? ExitCode.BAD_INPUT : ExitCode.CANNOT_SERVE, e.getMessage(), e);
        }
        return ExitCode.OK;
    }
}
