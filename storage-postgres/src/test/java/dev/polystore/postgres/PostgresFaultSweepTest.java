package dev.polystore.postgres;

import dev.polystore.testkit.MutableClock;
import dev.polystore.testkit.faults.FaultSweepContract;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The kit's engine-neutral fault sweep on PostgreSQL, with the SPI-level injector between the API
 * layer and this backend: every SPI call of each operation of the mix fails in turn (refused,
 * answer lost after the backend applied it, timed out unsent), the rest runs on the real server.
 * Faults on the wire (connections cut mid-statement and mid-commit, a hung path) are staged by
 * {@link ConnectionFaultTest}, kill -9 of the server by {@link ServerKillTest}.
 *
 * <p>Every case opens a storage of its own on one database of the sweep's; cases use names of
 * their own, and a storage reopened after close sees what the closed one wrote ({@link #persistent()}).
 */
class PostgresFaultSweepTest extends FaultSweepContract {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    static final String DATABASE = "polystore_sweep";

    @Override
    protected Subject open(Path dir, MutableClock clock) {
        return openThroughSpi(Pg.config(POSTGRES.server(), DATABASE)
                .set("postgres.pool_size", 2)
                .set("postgres.pool_min_idle", 0)
                .set("postgres.expiry_purge_interval_s", 0)
                .clock(clock)
                .build());
    }

    @Override
    protected boolean persistent() {
        return true;
    }

    /**
     * Two spaced calls besides the first and last call of each SPI method (the kit's default is
     * four): every case opens a pool and, for names of its own, creates tables, which on a loaded
     * 2-core machine made the sampled sweep take minutes. {@code -Preliability-long} fails every call.
     */
    @Override
    protected int sampledPositions() {
        return 2;
    }
}
