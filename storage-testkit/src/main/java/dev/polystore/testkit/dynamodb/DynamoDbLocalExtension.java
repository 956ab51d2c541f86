package dev.polystore.testkit.dynamodb;

import java.net.URI;
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
 * A JUnit 5 extension that hands tests a running DynamoDB Local: one server per test JVM,
 * started on first use and stopped when the test run ends, shared by every test class that
 * uses the extension.
 *
 * <p>By default the server runs <b>in-process</b> ({@code com.amazonaws:DynamoDBLocal}, which
 * the test must have on its class path, test-scoped) as a real HTTP server on a free port,
 * with {@code -inMemory -disableTelemetry}. No Docker needed. Setting the system property
 * {@value #MODE_PROPERTY}{@code =testcontainers} runs the {@value #DEFAULT_IMAGE} image with
 * Testcontainers instead ({@code org.testcontainers:testcontainers} on the test class path;
 * image overridable with {@value #IMAGE_PROPERTY}); where no Docker engine can be reached,
 * the tests using that mode are skipped with the reason, not failed.
 *
 * <pre>{@code
 * class MyDynamoDbTest {
 *     @RegisterExtension
 *     static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();
 *
 *     @Test
 *     void works() {
 *         URI endpoint = DYNAMODB.endpoint(); // http://127.0.0.1:<port>
 *     }
 * }
 * }</pre>
 *
 * Alternatively {@code @ExtendWith(DynamoDbLocalExtension.class)} and a {@link DynamoDbLocal}
 * parameter on a test, lifecycle method or constructor.
 *
 * <p>DynamoDB Local keeps one database per access key and region: use the same pair in every
 * client of a run, and keys (or table names) unique to each test so tests can share the server.
 */
public final class DynamoDbLocalExtension implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {
    /** System property choosing the mode: {@code in-process} (default) or {@code testcontainers}. */
    public static final String MODE_PROPERTY = "polystore.dynamodb.fixture";
    /** System property naming the image used in {@link Mode#TESTCONTAINERS} mode. */
    public static final String IMAGE_PROPERTY = "polystore.dynamodb.image";
    /** The image used in {@link Mode#TESTCONTAINERS} mode unless {@value #IMAGE_PROPERTY} says otherwise. */
    public static final String DEFAULT_IMAGE = "amazon/dynamodb-local:2.6.1";

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(DynamoDbLocalExtension.class);

    /** How the server runs. */
    public enum Mode {
        /** In this JVM, from the {@code com.amazonaws:DynamoDBLocal} jar. */
        IN_PROCESS,
        /** In a Docker container started with Testcontainers. */
        TESTCONTAINERS;

        /**
         * The mode the {@value #MODE_PROPERTY} system property names ({@link #IN_PROCESS} if unset).
         *
         * @throws IllegalArgumentException naming the property and the allowed values
         */
        public static Mode fromSystemProperty() {
            String value = System.getProperty(MODE_PROPERTY, "in-process").trim().toLowerCase(Locale.ROOT);
            switch (value) {
                case "in-process":
                case "inprocess":
                case "in_process":
                    return IN_PROCESS;
                case "testcontainers":
                case "container":
                    return TESTCONTAINERS;
                default:
                    throw new IllegalArgumentException("system property " + MODE_PROPERTY + " = \"" + value
                            + "\": expected in-process or testcontainers");
            }
        }
    }

    private final Mode fixedMode;
    private volatile DynamoDbLocal server;

    /** An extension whose mode comes from the {@value #MODE_PROPERTY} system property. */
    public DynamoDbLocalExtension() {
        this.fixedMode = null;
    }

    private DynamoDbLocalExtension(Mode mode) {
        this.fixedMode = Objects.requireNonNull(mode, "mode");
    }

    /** An extension that always uses {@code mode}, whatever the system property says. */
    public static DynamoDbLocalExtension withMode(Mode mode) {
        return new DynamoDbLocalExtension(mode);
    }

    /** The mode this extension uses. */
    public Mode mode() {
        return fixedMode != null ? fixedMode : Mode.fromSystemProperty();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Mode mode = mode();
        if (mode == Mode.TESTCONTAINERS && !dockerProblem(context).isEmpty()) {
            // Leave it to beforeEach: each test is then reported as skipped, with the reason,
            // rather than the whole class vanishing from the counts.
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
     * @throws IllegalStateException if called before the extension's callbacks (e.g. from a
     *                               static initializer)
     */
    public DynamoDbLocal server() {
        DynamoDbLocal s = server;
        if (s == null) {
            throw new IllegalStateException("DynamoDB Local is not started yet: register the extension with "
                    + "@RegisterExtension on a static field, or take a DynamoDbLocal parameter");
        }
        return s;
    }

    /** Shorthand for {@code server().endpoint()}. */
    public URI endpoint() {
        return server().endpoint();
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == DynamoDbLocal.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext)
            throws ParameterResolutionException {
        return acquire(extensionContext, mode());
    }

    /**
     * The shared server of {@code mode}, started on first use and kept in the root context's
     * store, which closes it when the test run ends.
     */
    static DynamoDbLocal acquire(ExtensionContext context, Mode mode) {
        if (mode == Mode.TESTCONTAINERS) {
            String missing = dockerProblem(context);
            Assumptions.assumeTrue(missing.isEmpty(), () -> "DynamoDB Local in Testcontainers mode ("
                    + MODE_PROPERTY + "=testcontainers) needs a Docker engine: " + missing);
        }
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(mode, DynamoDbLocalExtension::start, DynamoDbLocal.class);
    }

    /** Empty if a Docker engine can be used, else why not; asked once per test run. */
    private static String dockerProblem(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent("docker-missing", k -> ContainerSupport.whyUnavailable(), String.class);
    }

    private static DynamoDbLocal start(Mode mode) {
        if (mode == Mode.TESTCONTAINERS) {
            return ContainerSupport.start(System.getProperty(IMAGE_PROPERTY, DEFAULT_IMAGE));
        }
        try {
            Class.forName("com.amazonaws.services.dynamodbv2.local.main.ServerRunner", false,
                    DynamoDbLocalExtension.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("DynamoDB Local is not on the test class path: add the dependency "
                    + "com.amazonaws:DynamoDBLocal (test scope), or set -D" + MODE_PROPERTY
                    + "=testcontainers to use Docker", e);
        }
        return InProcessDynamoDbLocal.start();
    }
}
