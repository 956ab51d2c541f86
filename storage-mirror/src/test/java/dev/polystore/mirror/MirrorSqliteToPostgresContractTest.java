package dev.polystore.mirror;

import dev.polystore.spi.StorageBackend;
import dev.polystore.testkit.mirror.MirrorContract;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The kit's mirror contract over mirror(SQLite -> PostgreSQL): SQLite primary, embedded PostgreSQL secondary. */
class MirrorSqliteToPostgresContractTest extends MirrorContract {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    @Override
    protected StorageBackend sideBackend(boolean primary, Clock clock) {
        return primary ? Engines.sqlite(stateDir, "primary", clock) : Engines.postgres(POSTGRES.server(), clock);
    }

    @Override
    protected StorageBackend mirror(StorageBackend primary, StorageBackend secondary, Path stateDir, Clock clock) {
        return MirrorBackend.open(primary, secondary, stateDir.resolve("repair.log"), Duration.ZERO, clock);
    }

    @Override
    protected void repair(StorageBackend mirror) throws Exception {
        int left = ((MirrorBackend) mirror).repair().get(60, TimeUnit.SECONDS);
        if (left != 0) {
            throw new AssertionError(left + " key(s) still waiting for repair although both sides are up");
        }
    }
}
