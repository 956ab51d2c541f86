package dev.polystore.testkit.faults;

import dev.polystore.internal.DefaultStorage;
import dev.polystore.memory.MemoryBackend;
import dev.polystore.testkit.MutableClock;
import java.nio.file.Path;

/** The fault sweep on the reference backend, with the SPI-level injector: this is how a backend plugs in. */
class MemoryFaultSweepTest extends FaultSweepContract {
    @Override
    protected Subject open(Path dir, MutableClock clock) {
        SpiFaultInjector injector = new SpiFaultInjector(new MemoryBackend(clock));
        return new Subject(new DefaultStorage("memory", injector, clock), injector);
    }
}
