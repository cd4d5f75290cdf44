package dev.ondemandd.protocol.cachefiles;

import dev.ondemandd.protocol.cachefiles.sim.SimulatedCachefilesKernel;

/** The conformance scenarios against the simulated kernel. */
class SimulatedDeviceConformanceTest extends CachefilesDeviceConformance {

    @Override
    CachefilesDevice open() {
        return new SimulatedCachefilesKernel();
    }
}
