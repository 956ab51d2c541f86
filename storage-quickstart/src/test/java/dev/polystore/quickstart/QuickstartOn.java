package dev.polystore.quickstart;

import dev.polystore.testkit.engines.EmbeddedEngine;
import dev.polystore.testkit.engines.EmbeddedEngines;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs the unchanged {@link Quickstart} on an engine started here from Maven artifacts: starts
 * the engine ({@link EmbeddedEngines}: DynamoDB Local in this JVM, ...), points the configuration
 * at it with system properties — {@code storage.backend} and the engine's endpoint, nothing else —
 * runs {@code Quickstart.main} with the same {@code polystore.toml}, then stops the engine.
 * Only configuration differs between engines; the application code is the same.
 *
 * <p>{@code mvn -B -ntp -q -pl storage-quickstart -am verify -DskipTests -Dengine=dynamodb} runs
 * it (the {@code engine} profile of this module's pom), or
 * {@code java -cp <test class path> dev.polystore.quickstart.QuickstartOn dynamodb polystore.toml}.
 * Exits with status 2 on a usage error; any other failure ends {@code main} with its exception.
 */
public final class QuickstartOn {
    private QuickstartOn() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: QuickstartOn <engine> [polystore.toml]; engines: " + EmbeddedEngines.names());
            System.exit(2);
        }
        String config = args.length > 1 ? args[1] : "polystore.toml";
        try (EmbeddedEngine engine = EmbeddedEngines.start(args[0])) {
            Map<String, String> overrides = new TreeMap<>();
            overrides.put("storage.backend", engine.backend());
            engine.overrides().forEach((key, value) -> overrides.put("storage." + key, value));
            overrides.forEach(System::setProperty);
            System.out.println("QuickstartOn: engine '" + args[0] + "' started from Maven artifacts; the quickstart runs "
                    + "unchanged with " + config + " and these overrides: " + overrides);
            Quickstart.main(new String[] {config});
        }
    }
}
