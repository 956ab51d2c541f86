package dev.polystore.internal;

import dev.polystore.ConfigurationException;
import dev.polystore.spi.StorageLayer;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The layers found with {@link ServiceLoader}, by name. Like {@link ProviderRegistry}: a layer
 * that fails to load is logged and skipped (and reported if it is then asked for); two layers
 * with one name are an error naming both classes.
 */
public final class LayerRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(LayerRegistry.class);
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]{0,31}");

    /** Where our own layers live, to tell users which dependency to add. */
    private static final Map<String, String> KNOWN = Map.of(
            "encryption", "dev.polystore:storage-encryption");

    private final Map<String, List<StorageLayer>> byName;
    private final List<Throwable> loadFailures;

    private LayerRegistry(Map<String, List<StorageLayer>> byName, List<Throwable> loadFailures) {
        this.byName = byName;
        this.loadFailures = loadFailures;
    }

    public static LayerRegistry discover() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        Map<String, List<StorageLayer>> byName = new TreeMap<>();
        List<Throwable> failures = new ArrayList<>();
        Set<String> seenClasses = new TreeSet<>();
        for (ClassLoader loader : new ClassLoader[] {context, StorageLayer.class.getClassLoader()}) {
            if (loader == null) {
                continue;
            }
            Iterator<StorageLayer> it = ServiceLoader.load(StorageLayer.class, loader).iterator();
            while (true) {
                StorageLayer layer;
                try {
                    if (!it.hasNext()) {
                        break;
                    }
                    layer = it.next();
                } catch (ServiceConfigurationError e) {
                    LOG.warn("A storage layer could not be loaded and is skipped: {}", e.getMessage(), e);
                    failures.add(e);
                    continue;
                }
                if (!seenClasses.add(layer.getClass().getName() + "@" + location(layer))) {
                    continue;
                }
                String name;
                try {
                    name = layer.name();
                } catch (RuntimeException e) {
                    LOG.warn("Storage layer {} failed to report its name and is skipped", layer.getClass().getName(), e);
                    failures.add(e);
                    continue;
                }
                byName.computeIfAbsent(name, n -> new ArrayList<>()).add(layer);
            }
        }
        return new LayerRegistry(byName, failures);
    }

    public Set<String> names() {
        return new TreeSet<>(byName.keySet());
    }

    /** The single layer called {@code name}, or a {@link ConfigurationException} saying what to do. */
    public StorageLayer require(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new ConfigurationException("storage.layers names \"" + name + "\": expected a layer name "
                    + "(lower-case letters and digits, starting with a letter); found on the class path: " + names());
        }
        List<StorageLayer> found = byName.get(name);
        if (found == null || found.isEmpty()) {
            StringBuilder msg = new StringBuilder("storage.layers names \"").append(name)
                    .append("\": no storage layer with that name on the class path; found: ")
                    .append(byName.isEmpty() ? "none" : names().toString()).append('.');
            String artifact = KNOWN.get(name);
            if (artifact != null) {
                msg.append(" The '").append(name).append("' layer is in ").append(artifact)
                        .append(": add it to your dependencies.");
            } else {
                msg.append(" Add the jar that provides '").append(name)
                        .append("' (registered in META-INF/services/dev.polystore.spi.StorageLayer).");
            }
            ConfigurationException e = new ConfigurationException(msg.toString());
            loadFailures.forEach(e::addSuppressed);
            throw e;
        }
        if (found.size() > 1) {
            StringBuilder msg = new StringBuilder("storage.layers names \"").append(name).append("\": ")
                    .append(found.size()).append(" layers share that name: ");
            for (int i = 0; i < found.size(); i++) {
                StorageLayer l = found.get(i);
                msg.append(i == 0 ? "" : ", ").append(l.getClass().getName()).append(" from ").append(location(l));
            }
            msg.append(". Keep one of them on the class path.");
            throw new ConfigurationException(msg.toString());
        }
        return found.get(0);
    }

    private static String location(StorageLayer layer) {
        CodeSource source = layer.getClass().getProtectionDomain().getCodeSource();
        return source == null || source.getLocation() == null ? "(unknown location)" : source.getLocation().toString();
    }
}
