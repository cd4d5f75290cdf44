package dev.ondemandd.daemon.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.daemon.config.ConfigException;
import dev.ondemandd.daemon.config.ConfigLoader;
import dev.ondemandd.protocol.cachefiles.CachefilesCommands;
import dev.ondemandd.protocol.cachefiles.sim.SimulatedCachefilesKernel;
import dev.ondemandd.protocol.nativeio.ErrnoException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The culling limits as the simulated kernel (cachefiles_daemon_b{run,cull,stop}) accepts them. */
class CullLimitsTest {

    @TempDir
    Path dir;

    @Test
    void everyOrderedTripleIsWrittenInAnOrderTheKernelAcceptsAndTheCacheBinds() throws Exception {
        int checked = 0;
        for (int brun = 2; brun < 100; brun += 3) {
            for (int bcull = 1; bcull < brun; bcull += 2) {
                for (int bstop = 0; bstop < bcull; bstop += 2) {
                    CullLimits limits = new CullLimits(brun, bcull, bstop);
                    SimulatedCachefilesKernel kernel = new SimulatedCachefilesKernel();
                    try {
                        kernel.command(CachefilesCommands.dir(dir.toString()));
                        for (String command : limits.commands()) {
                            kernel.command(command);
                        }
                        kernel.command(CachefilesCommands.BIND_ONDEMAND);
                        assertThat(kernel.blockLimits()).as(limits.toString()).containsExactly(brun, bcull, bstop);
                    } finally {
                        kernel.shutdown();
                    }
                    checked++;
                }
            }
        }
        assertThat(checked).isGreaterThan(5000);
        assertThat(CullLimits.DEFAULTS.commands()).isEmpty();
    }

    @Test
    void theKernelRefusesALimitOutOfOrderAsTheCommandsNeverWriteOne() throws Exception {
        SimulatedCachefilesKernel kernel = new SimulatedCachefilesKernel();
        try {
            // From the defaults (7, 5, 1), bstop 6 would pass bcull: the kernel says EINVAL.
            assertThatThrownBy(() -> kernel.command("bstop 6%")).isInstanceOf(ErrnoException.class);
            assertThatThrownBy(() -> kernel.command("brun 10")).isInstanceOf(ErrnoException.class);
            assertThat(new CullLimits(20, 10, 6).commands()).containsExactly("brun 20%", "bcull 10%", "bstop 6%");
            assertThat(new CullLimits(4, 3, 0).commands()).containsExactly("bcull 3%", "bstop 0%", "brun 4%");
        } finally {
            kernel.shutdown();
        }
    }

    @Test
    void theConfigNamesLimitsOutOfOrder() throws Exception {
        String ok = "{\"cachefiles\": {\"dir\": \"/c\", \"brun\": 20, \"bcull\": 10, \"bstop\": 5}, \"sources\": []}";
        assertThat(ConfigLoader.parse(ok).requireCachefiles().cullLimits()).isEqualTo(new CullLimits(20, 10, 5));
        assertThat(ConfigLoader.parse("{\"cachefiles\": {\"dir\": \"/c\"}, \"sources\": []}").requireCachefiles()
                .cullLimits()).isEqualTo(CullLimits.DEFAULTS);
        String bad = "{\"cachefiles\": {\"dir\": \"/c\", \"bstop\": 9}, \"sources\": []}";
        assertThatThrownBy(() -> ConfigLoader.parse(bad).requireCachefiles().cullLimits())
                .isInstanceOf(ConfigException.class).hasMessageContaining("0 <= bstop < bcull < brun < 100");
    }
}
