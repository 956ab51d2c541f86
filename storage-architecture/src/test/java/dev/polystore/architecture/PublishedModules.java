package dev.polystore.architecture;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The published modules of this build, read from the reactor's POMs, and where their main classes
 * are on this test's class path.
 *
 * <p>A module is published when its packaging is {@code jar} and it does not set
 * {@code polystore.publish.skip} to {@code true}: the same rule the parent POM applies to sources,
 * Javadoc, signing and deployment. So a module added to the root {@code <modules>} is covered by the
 * rules without any edit here.
 */
final class PublishedModules {

    private static final Pattern MODULE = Pattern.compile("<module>\\s*([^<\\s]+)\\s*</module>");
    private static final Pattern PACKAGING = Pattern.compile("<packaging>\\s*([^<\\s]+)\\s*</packaging>");
    private static final Pattern SKIP = Pattern.compile(
            "<polystore\\.publish\\.skip>\\s*true\\s*</polystore\\.publish\\.skip>");
    private static final Pattern COMMENT = Pattern.compile("<!--.*?-->", Pattern.DOTALL);

    private PublishedModules() {
    }

    /** The reactor root, as the build passes it. */
    static Path root() {
        String root = System.getProperty("polystore.root");
        if (root == null) {
            throw new IllegalStateException("system property polystore.root is not set: run these tests with Maven "
                    + "(storage-architecture/pom.xml sets it to the reactor root)");
        }
        return Path.of(root).toAbsolutePath().normalize();
    }

    /** Directory name of every published module, in the root POM's order. */
    static List<String> names() {
        Path root = root();
        List<String> published = new ArrayList<>();
        Matcher m = MODULE.matcher(uncommented(root.resolve("pom.xml")));
        while (m.find()) {
            String module = m.group(1);
            String pom = uncommented(root.resolve(module).resolve("pom.xml"));
            Matcher packaging = PACKAGING.matcher(pom);
            boolean jar = !packaging.find() || packaging.group(1).equals("jar");
            if (jar && !SKIP.matcher(pom).find()) {
                published.add(module);
            }
        }
        return published;
    }

    /**
     * Where each published module's main classes are on this JVM's class path (its
     * {@code target/classes} directory or its packaged jar, whichever the reactor resolved), or
     * empty for a module that is not on it.
     */
    static Map<String, Optional<Path>> locations() {
        Path root = root();
        List<Path> classPath = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            classPath.add(Path.of(entry).toAbsolutePath().normalize());
        }
        Map<String, Optional<Path>> locations = new LinkedHashMap<>();
        for (String module : names()) {
            Path target = root.resolve(module).resolve("target");
            locations.put(module, classPath.stream()
                    .filter(p -> p.startsWith(target))
                    .filter(p -> !p.endsWith("test-classes"))
                    .findFirst());
        }
        return locations;
    }

    /** The module a class file at this location belongs to, by its directory under the root. */
    static Optional<String> moduleOf(Path location) {
        Path root = root();
        Path p = location.toAbsolutePath().normalize();
        if (!p.startsWith(root) || p.getNameCount() <= root.getNameCount()) {
            return Optional.empty();
        }
        return Optional.of(p.getName(root.getNameCount()).toString());
    }

    private static String uncommented(Path pom) {
        try {
            return COMMENT.matcher(Files.readString(pom)).replaceAll("");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + pom, e);
        }
    }
}
