package dev.polystore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension.Mode;
import dev.polystore.testkit.postgres.PostgresServer;
import java.net.InetAddress;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The testkit's PostgreSQL fixture, in both modes. */
class EmbeddedPostgresExtensionTest {

    @Nested
    @DisplayName("embedded mode")
    class Embedded {
        @RegisterExtension
        final EmbeddedPostgresExtension postgres = EmbeddedPostgresExtension.withMode(Mode.EMBEDDED);

        @Test
        @DisplayName("hands out a real PostgreSQL on loopback, the same server to every test and parameter")
        void server(PostgresServer injected) throws Exception {
            assertSame(postgres.server(), injected, "one server per test run");
            assertEquals(Mode.EMBEDDED, injected.mode());
            assertTrue(InetAddress.getByName(injected.host()).isLoopbackAddress());
            assertTrue(injected.serverVersion().startsWith("17."), injected.serverVersion());
            try (Connection c = injected.connect("postgres"); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT current_setting('listen_addresses')")) {
                rs.next();
                assertEquals("localhost", rs.getString(1));
            }
            assertTrue(injected.createDatabase("fixture_check", "") || !injected.createDatabase("fixture_check", ""));
        }
    }

    @Nested
    @DisplayName("Testcontainers mode (skipped, with the reason, where no Docker engine exists)")
    class Container {
        @RegisterExtension
        final EmbeddedPostgresExtension postgres = EmbeddedPostgresExtension.withMode(Mode.TESTCONTAINERS);

        @Test
        @DisplayName("runs the postgres image and hands out its mapped port")
        void server(PostgresServer injected) throws Exception {
            assertEquals(Mode.TESTCONTAINERS, injected.mode());
            assertTrue(injected.port() > 0);
            assertTrue(injected.serverVersion().startsWith("17"), injected.serverVersion());
        }
    }
}
