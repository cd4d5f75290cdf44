package dev.ondemandd.daemon.cli;

import dev.ondemandd.protocol.nativeio.ErrnoException;
import dev.ondemandd.protocol.nativeio.Mounts;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ondemandd umount}: unmounts an image mounted by {@code ondemandd mount}; the serving process sees the
 * mount go and exits.
 */
@Command(name = "umount", mixinStandardHelpOptions = true,
        description = "Unmount an image mounted by `ondemandd mount`; its serving process then exits. Needs root.")
final class UmountCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MOUNTPOINT")
    Path mountpoint;

    @Option(names = "--lazy", description = "Detach now even when busy (MNT_DETACH); open files keep working"
            + " only while the serving process runs.")
    boolean lazy;

    @Override
    public Integer call() throws CliException {
        try {
            Mounts.umount(mountpoint.toAbsolutePath(), lazy);
        } catch (ErrnoException e) {
            throw new CliException(e.errno() == ErrnoException.EINVAL || e.errno() == ErrnoException.ENOENT
                    ? ExitCode.BAD_INPUT : ExitCode.CANNOT_SERVE, e.getMessage(), e);
        }
        return ExitCode.OK;
    }
}
