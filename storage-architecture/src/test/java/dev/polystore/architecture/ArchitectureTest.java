package dev.polystore.architecture;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.GeneralCodingRules;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import com.tngtech.archunit.library.dependencies.SliceRule;
import com.tngtech.archunit.library.dependencies.SlicesRuleDefinition;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the design says in words, checked on the main classes of every published module together
 * ({@link PublishedModules}: a module added to the build is covered without an edit here).
 * Test classes are not checked: white-box tests may reach into {@code dev.polystore.internal}.
 * {@link #theRulesCatchABrokenModule()} shows each rule failing on a module that breaks it.
 */
class ArchitectureTest {

    private static final String API_MODULE = "storage-api";
    private static final String PROVIDER = "dev.polystore.spi.StorageProvider";
    private static final String FIXTURE_MODULE = "broken-fixture-module";

    /**
     * Dependencies on a backend that the design makes on purpose: the contract kit brings the
     * in-memory reference backend, which it checks every other backend against.
     */
    private static final Map<String, Set<String>> ALLOWED_BACKEND_DEPENDENCIES =
            Map.of("storage-testkit", Set.of("storage-memory"));

    /**
     * Modules whose output is a test report on the build's console, by design: the contract kit
     * runs in a backend's test scope and prints skip reasons (SkippedTestReporter) and measured
     * figures there. They are not library code an application runs.
     */
    private static final Set<String> TEST_CONSOLE_MODULES = Set.of("storage-testkit");

    /**
     * Package cycles that exist and are accepted for now, as "from -> to" of the dependency that
     * closes them; each one is a task, never a precedent. testkit.engines lists the engines it can
     * start, DynamoDB Local, PostgreSQL and Redis among them, whose fixtures implement
     * engines.EmbeddedEngine (one fix for all three: find the engines by ServiceLoader).
     */
    private static final Set<String> KNOWN_CYCLE_DEPENDENCIES = Set.of(
            "dev.polystore.testkit.engines -> dev.polystore.testkit.dynamodb",
            "dev.polystore.testkit.engines -> dev.polystore.testkit.postgres",
            "dev.polystore.testkit.engines -> dev.polystore.testkit.redis");

    private static final Map<String, String> MODULE_OF_CLASS = new HashMap<>();
    private static final Set<String> BACKENDS = new TreeSet<>();
    private static final List<Location> LOCATIONS = new ArrayList<>();
    private static JavaClasses published;

    @BeforeAll
    static void importEveryPublishedModule() {
        PublishedModules.locations().forEach((module, location) -> location.ifPresent(path -> {
            // A target/classes directory or, from `package` on, the module's jar: main classes only.
            Location l = location(path);
            LOCATIONS.add(l);
            for (JavaClass c : new ClassFileImporter().importLocations(List.of(l))) {
                MODULE_OF_CLASS.put(c.getName(), module);
                if (!c.isInterface() && !c.getModifiers().contains(JavaModifier.ABSTRACT) && c.isAssignableTo(PROVIDER)) {
                    BACKENDS.add(module);
                }
            }
        }));
        published = new ClassFileImporter().importLocations(LOCATIONS);
    }

    /** A jar is imported as a jar; {@code Location.of(Path)} would read it as a directory and find nothing. */
    private static Location location(Path path) {
        if (!java.nio.file.Files.isRegularFile(path)) {
            return Location.of(path);
        }
        try {
            return Location.of(new java.util.jar.JarFile(path.toFile()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + path, e);
        }
    }

    private static String moduleOf(JavaClass c) {
        return MODULE_OF_CLASS.getOrDefault(c.getName(), "");
    }

    // ---- the rules ---------------------------------------------------------------------------

    static ArchRule onlyTheApiModuleUsesInternals() {
        return noClasses()
                .that(DescribedPredicate.describe("are outside " + API_MODULE + " (backends, layers, the kit, tools)",
                        (JavaClass c) -> !API_MODULE.equals(moduleOf(c))))
                .should().dependOnClassesThat().resideInAPackage("dev.polystore.internal..")
                .because("what a backend needs lives in dev.polystore.spi; dev.polystore.internal is not exported "
                        + "and may change in any release");
    }

    static ArchRule theSpiNeverUsesTheImplementation() {
        return noClasses().that().resideInAPackage("dev.polystore.spi..")
                .should().dependOnClassesThat().resideInAPackage("dev.polystore.internal..")
                .because("backend authors compile against the SPI alone; the API layer is written over it, "
                        + "not the other way round");
    }

    static ArchRule noModuleDependsOnABackend() {
        return classes().should(notDependOnAnotherModulesBackend())
                .because("backends are found by ServiceLoader from the configuration; code that names one "
                        + "ties every user to it");
    }

    private static ArchCondition<JavaClass> notDependOnAnotherModulesBackend() {
        return new ArchCondition<>("not depend on a backend module other than their own " + BACKENDS
                + " (allowed: " + ALLOWED_BACKEND_DEPENDENCIES + ")") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                String from = moduleOf(c);
                for (Dependency d : c.getDirectDependenciesFromSelf()) {
                    String to = moduleOf(d.getTargetClass());
                    if (to.equals(from) || !BACKENDS.contains(to)
                            || ALLOWED_BACKEND_DEPENDENCIES.getOrDefault(from, Set.of()).contains(to)) {
                        continue;
                    }
                    events.add(SimpleConditionEvent.violated(d, from + " depends on backend " + to + ": "
                            + d.getDescription()));
                }
            }
        };
    }

    static ArchRule libraryCodeNeverUsesTheStandardStreams() {
        return noClasses()
                .that(DescribedPredicate.describe("are library code (every published module but "
                        + String.join(", ", TEST_CONSOLE_MODULES) + ")",
                        (JavaClass c) -> !TEST_CONSOLE_MODULES.contains(moduleOf(c))))
                .should(GeneralCodingRules.ACCESS_STANDARD_STREAMS)
                .because("library code logs through SLF4J; the application owns System.out and System.err");
    }

    static ArchRule noPackageCycles(JavaClasses imported) {
        SliceAssignment byPackage = new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
                return moduleOf(javaClass).isEmpty() ? SliceIdentifier.ignore()
                        : SliceIdentifier.of(javaClass.getPackageName());
            }

            @Override
            public String getDescription() {
                return "packages of the published modules";
            }
        };
        SliceRule rule = SlicesRuleDefinition.slices().assignedFrom(byPackage).should().beFreeOfCycles();
        // A package may name its own subpackages (a facade: dev.polystore's StoreFactory creates the
        // implementation in dev.polystore.internal, Storage returns the domain records of
        // dev.polystore.dialogue, which use the API's exceptions). Every other dependency takes part:
        // a cycle between sibling packages, or through a package of another module, fails.
        Set<String> packages = new TreeSet<>();
        imported.forEach(c -> packages.add(c.getPackageName()));
        for (String p : packages) {
            rule = rule.ignoreDependency(resideInAPackage(p), resideInAPackage(p + ".."));
        }
        for (String known : KNOWN_CYCLE_DEPENDENCIES) {
            String[] fromTo = known.split(" -> ");
            rule = rule.ignoreDependency(resideInAPackage(fromTo[0]), resideInAPackage(fromTo[1]));
        }
        return rule;
    }

    // ---- the checks --------------------------------------------------------------------------

    @Test
    void theRulesSeeTheCodeTheyJudge() {
        // Rules over an empty import pass vacuously: make sure the modules and backends are there.
        assertTrue(published.size() > 100, () -> "only " + published.size() + " classes imported");
        assertTrue(BACKENDS.containsAll(Set.of("storage-memory", "storage-sqlite", "storage-dynamodb")),
                () -> "backends found (modules with a StorageProvider): " + BACKENDS);
        assertTrue(!BACKENDS.contains(API_MODULE) && !BACKENDS.contains("storage-testkit"),
                () -> "modules taken for backends: " + BACKENDS);
    }

    @Test
    void onlyTheApiModuleUsesTheInternalPackages() {
        onlyTheApiModuleUsesInternals().check(published);
    }

    @Test
    void theSpiNeverUsesTheApisImplementation() {
        theSpiNeverUsesTheImplementation().check(published);
    }

    @Test
    void noModuleDependsOnAnotherModulesBackend() {
        noModuleDependsOnABackend().check(published);
    }

    @Test
    void libraryCodeNeverWritesToTheStandardStreams() {
        libraryCodeNeverUsesTheStandardStreams().check(published);
    }

    @Test
    void noCyclesBetweenPackages() {
        noPackageCycles(published).check(published);
    }

    /** Each rule fails, naming the culprit, on the published modules plus a module that breaks it. */
    @Test
    void theRulesCatchABrokenModule() throws URISyntaxException {
        Path testClasses = Path.of(ArchitectureTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Location> withFixture = new ArrayList<>(LOCATIONS);
        withFixture.add(Location.of(testClasses.resolve("dev/polystore/architecture/fixture")));
        withFixture.add(Location.of(testClasses.resolve("dev/polystore/spi/brokenfixture")));
        JavaClasses broken = new ClassFileImporter().importLocations(withFixture);
        broken.stream().filter(c -> c.getPackageName().contains("fixture"))
                .forEach(c -> MODULE_OF_CLASS.put(c.getName(), FIXTURE_MODULE));
        assertTrue(broken.size() >= published.size() + 3, "the fixture classes were not imported");

        assertCaught(onlyTheApiModuleUsesInternals(), broken, "BrokenModule", "dev.polystore.internal.Futures");
        assertCaught(theSpiNeverUsesTheImplementation(), broken, "SpiUsingInternals", "dev.polystore.internal.Futures");
        assertCaught(noModuleDependsOnABackend(), broken, FIXTURE_MODULE + " depends on backend storage-sqlite");
        assertCaught(libraryCodeNeverUsesTheStandardStreams(), broken, "BrokenModule", "java.lang.System.out");
        assertCaught(noPackageCycles(broken), broken, "dev.polystore.architecture.fixture.a",
                "dev.polystore.architecture.fixture.b");
    }

    private static void assertCaught(ArchRule rule, JavaClasses imported, String... mentions) {
        EvaluationResult result = rule.evaluate(imported);
        assertTrue(result.hasViolation(), () -> "rule passed on a broken module: " + rule.getDescription());
        String report = String.join("\n", result.getFailureReport().getDetails());
        for (String m : mentions) {
            assertTrue(report.contains(m), () -> "the violation report does not name " + m + ":\n" + report);
        }
    }
}
