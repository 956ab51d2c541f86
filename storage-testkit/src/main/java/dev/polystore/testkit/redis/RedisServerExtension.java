package dev.polystore.testkit.redis;

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
 * A JUnit 5 extension that hands tests a running Redis server: one per test JVM, started on first
 * use and stopped when the test run ends, shared by every test class that uses the extension.
 *
 * <p>By default the server is <b>embedded</b>: a real {@code redis-server} process the test
 * starts itself ({@link RedisProcess}) from the binary in the {@code com.github.codemonstur:embedded-redis}
 * jar, which the test must have on its class path (test scope), on loopback and a free port,
 * without persistence. No Docker, nothing installed. Setting the system property
 * {@value #MODE_PROPERTY}{@code =testcontainers} runs the {@value #DEFAULT_IMAGE} image with
 * Testcontainers instead ({@code org.testcontainers:testcontainers} on the test class path; image
 * overridable with {@value #IMAGE_PROPERTY}); where no Docker engine can be reached, the tests
 * using that mode are skipped with the reason, not failed.
 *
 * <pre>{@code
 * class MyRedisTest {
 *     @RegisterExtension
 *     static final RedisServerExtension REDIS = new RedisServerExtension();
 *
 *     @Test
 *     void works() {
 *         String uri = REDIS.server().uri(); // redis://127.0.0.1:<port>
 *     }
 * }
 * }</pre>
 *
 * Alternatively {@code @ExtendWith(RedisServerExtension.class)} and a {@link RedisServer}
 * parameter. Tests share the server: use keys (or a {@code key_prefix}) unique to each test.
 * Tests that crash or reconfigure a server start their own {@link RedisProcess}.
 */
public final class RedisServerExtension implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {
    /** System property choosing the mode: {@code embedded} (default) or {@code testcontainers}. */
    public static final String MODE_PROPERTY = "polystore.redis.fixture";
    /** System property naming the image used in {@link Mode#TESTCONTAINERS} mode. */
    public static final String IMAGE_PROPERTY = "polystore.redis.image";
    /** The image used in {@link Mode#TESTCONTAINERS} mode unless {@value #IMAGE_PROPERTY} says otherwise. */
    public static final String DEFAULT_IMAGE = "redis:6.2";

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RedisServerExtension.class);

    /** How the server runs. */
    public enum Mode {
        /** A {@code redis-server} process started from the embedded-redis jar's binary. */
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
                case "process":
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
    private volatile RedisServer server;

    /** An extension whose mode comes from the {@value #MODE_PROPERTY} system property. */
    public RedisServerExtension() {
        this.fixedMode = null;
    }

    private RedisServerExtension(Mode mode) {
        this.fixedMode = Objects.requireNonNull(mode, "mode");
    }

    /** An extension that always uses {@code mode}, whatever the system property says. */
    public static RedisServerExtension withMode(Mode mode) {
        return new RedisServerExtension(mode);
    }

    /** The mode this extension uses. */
    public Mode mode() {
        return fixedMode != null ? fixedMode : Mode.fromSystemProperty();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Mode mode = mode();
        if (mode == Mode.TESTCONTAINERS && !dockerProblem(context).isEmpty()) {
            return; // each test is then skipped in beforeEach, with the reason
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
    public RedisServer server() {
        RedisServer s = server;
        if (s == null) {
            throw new IllegalStateException("Redis is not started yet: register the extension with @RegisterExtension "
                    + "on a static field, or take a RedisServer parameter");
        }
        return s;
    }

    /** Shorthand for {@code server().uri()}. */
    public String uri() {
        return server().uri();
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == RedisServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext)
            throws ParameterResolutionException {
        return acquire(extensionContext, mode());
    }

    static RedisServer acquire(ExtensionContext context, Mode mode) {
        if (mode == Mode.TESTCONTAINERS) {
            String missing = dockerProblem(context);
            Assumptions.assumeTrue(missing.isEmpty(), () -> "Redis in Testcontainers mode (" + MODE_PROPERTY
                    + "=testcontainers) needs a Docker engine: " + missing);
        }
        // Kept in the root store, which closes it (AutoCloseable) when the run ends.
        return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(mode, RedisServerExtension::start,
                RedisServer.class);
    }

    private static String dockerProblem(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent("docker-missing", k -> RedisContainerSupport.whyUnavailable(), String.class);
    }

    private static RedisServer start(Mode mode) {
        if (mode == Mode.TESTCONTAINERS) {
            return RedisContainerSupport.start(System.getProperty(IMAGE_PROPERTY, DEFAULT_IMAGE));
        }
        return RedisProcess.startDefault();
    }
}
