package dev.polystore.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The rules see every published module: none can be added to the build and escape them. */
class PublishedModulesTest {

    @Test
    void everyPublishedModuleIsOnTheClassPathOfTheRules() {
        Map<String, Optional<Path>> locations = PublishedModules.locations();
        List<String> missing = locations.entrySet().stream()
                .filter(e -> e.getValue().isEmpty())
                .map(Map.Entry::getKey)
                .collect(Collectors.toList());
        assertEquals(List.of(), missing, () -> "published modules the architecture rules cannot see: " + missing
                + ". Add each to storage-architecture/pom.xml as <dependency><groupId>dev.polystore</groupId>"
                + "<artifactId>" + (missing.isEmpty() ? "" : missing.get(0)) + "</artifactId><version>${project.version}"
                + "</version><scope>test</scope></dependency> (or set <polystore.publish.skip>true</polystore.publish.skip> "
                + "in a module that is not published)");
    }

    @Test
    void theKnownPublishedModulesAreFound() {
        // A parser that found nothing would make every rule pass vacuously.
        List<String> names = PublishedModules.names();
        assertTrue(names.containsAll(List.of("storage-api", "storage-memory", "storage-testkit", "storage-sqlite",
                "storage-dynamodb")), () -> "published modules found: " + names);
        assertTrue(names.stream().noneMatch(n -> n.equals("storage-benchmarks") || n.equals("storage-quickstart")
                || n.equals("storage-testkit-it") || n.equals("storage-architecture") || n.equals("storage-bom")),
                () -> "unpublished modules taken for published ones: " + names);
    }
}
