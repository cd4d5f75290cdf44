package dev.ondemandd.protocol.cachefiles;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ondemandd.protocol.nativeio.Errno;
import dev.ondemandd.protocol.nativeio.ErrnoException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;

/**
 * The conformance scenarios against the kernel's /dev/cachefiles (the test VM's kernel has
 * CONFIG_CACHEFILES_ONDEMAND). Skips where the device is missing or held by someone else. The cache directory
 * must be on a filesystem cachefiles accepts; ONDEMANDD_CACHEFILES_TEST_DIR overrides the temporary directory.
 */
@Tag("vm")
@Tag("root")
class KernelDeviceConformanceTest extends CachefilesDeviceConformance {

    @Override
    CachefilesDevice open() throws Exception {
        assumeTrue(Files.exists(Path.of(KernelCachefilesDevice.DEVICE_PATH)),
                KernelCachefilesDevice.DEVICE_PATH + " is missing: cachefiles is not loaded (the test VM has it)");
        String override = System.getenv("ONDEMANDD_CACHEFILES_TEST_DIR");
        if (override != null && !override.isBlank()) {
            dir = Files.createTempDirectory(Path.of(override), "conformance");
        }
        try {
            return KernelCachefilesDevice.open();
        } catch (ErrnoException e) {
            assumeTrue(e.errno() != Errno.EBUSY, "another cachefiles daemon holds the device: " + e.getMessage());
            throw e;
        }
    }
}
