package dev.ondemandd.daemon.cli;

import dev.ondemandd.daemon.config.CachefilesConfig;
import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.protocol.nativeio.FanotifyGroup;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Which frontend {@code run} serves with: {@code frontend} from the configuration, and for {@code auto}
 * cachefiles where /dev/cachefiles exists and the kernel was built with CONFIG_CACHEFILES_ONDEMAND, else
 * fanotify where the kernel has pre-content events, else a clear error naming both reasons.
 */
final class FrontendChoice {
    private static final String ONDEMAND = "CONFIG_CACHEFILES_ONDEMAND=y";

    private FrontendChoice() {
    }

    /** Whether {@code cfg} is to be served through fanotify. */
    static boolean fanotify(DaemonConfig cfg) throws CliException {
        switch (cfg.frontendName()) {
            case "fanotify":
                return true;
            case "cachefiles":
                return false;
            default:
                break;
        }
        String device = cfg.cachefiles() != null ? cfg.cachefiles().device() : CachefilesConfig.DEFAULT_DEVICE;
        String cachefilesProblem = cachefilesProblem(Path.of(device));
        if (cachefilesProblem == null && cfg.cachefiles() != null) {
            return false;
        }
        try (FanotifyGroup probe = FanotifyGroup.open()) {
            return probe.fd() >= 0;
        } catch (IOException e) {
            throw new CliException(ExitCode.CANNOT_SERVE, "frontend auto: neither can serve here: cachefiles: "
                    + (cachefilesProblem == null ? "no cachefiles section" : cachefilesProblem) + "; fanotify: "
                    + e.getMessage());
        }
    }

    /** Why cachefiles on-demand mode cannot be used, or null when it looks usable. */
    static String cachefilesProblem(Path device) {
        if (!Files.exists(device)) {
            return device + " does not exist (modprobe cachefiles)";
        }
        String release = System.getProperty("os.version");
        for (Path config : new Path[] {Path.of("/proc/config.gz"), Path.of("/boot/config-" + release)}) {
            if (Files.isReadable(config)) {
                try (InputStream raw = Files.newInputStream(config);
                        InputStream in = config.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
                        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
                    return r.lines().anyMatch(ONDEMAND::equals) ? null
                            : "the kernel is built without CONFIG_CACHEFILES_ONDEMAND (" + config + ")";
                } catch (IOException e) {
                    return "cannot read " + config + ": " + e.getMessage();
                }
            }
        }
        return null;
    }
}
