package dev.polystore.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.testkit.dynamodb.DynamoDbLocal;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension.Mode;
import java.net.InetAddress;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The testkit's DynamoDB Local fixture, in both modes. */
class DynamoDbLocalExtensionTest {

    @Nested
    @DisplayName("in-process mode")
    class InProcess {
        @RegisterExtension
        final DynamoDbLocalExtension dynamodb = DynamoDbLocalExtension.withMode(Mode.IN_PROCESS);

        @Test
        @DisplayName("hands out a loopback HTTP endpoint, the same server to every test and parameter")
        void endpoint(DynamoDbLocal injected) throws Exception {
            assertEquals("http", dynamodb.endpoint().getScheme());
            assertTrue(InetAddress.getByName(dynamodb.endpoint().getHost()).isLoopbackAddress());
            assertTrue(dynamodb.endpoint().getPort() > 0);
            assertSame(dynamodb.server(), injected, "one server per test run");
            assertEquals(Mode.IN_PROCESS, injected.mode());
        }
    }

    @Nested
    @DisplayName("Testcontainers mode (skipped, with the reason, where no Docker engine exists)")
    class Container {
        @RegisterExtension
        final DynamoDbLocalExtension dynamodb = DynamoDbLocalExtension.withMode(Mode.TESTCONTAINERS);

        @Test
        @DisplayName("runs amazon/dynamodb-local and hands out its mapped endpoint")
        void endpoint(DynamoDbLocal injected) {
            assertEquals(Mode.TESTCONTAINERS, injected.mode());
            assertEquals("http", dynamodb.endpoint().getScheme());
            assertTrue(dynamodb.endpoint().getPort() > 0);
        }
    }
}
