package dev.polystore.internal;

import dev.polystore.ConfigurationException;
import dev.polystore.spi.StorageProvider;
import java.security.CodeSource;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.ArrayList;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The providers found with {@link ServiceLoader}. A provider that fails to load is logged and
 * skipped (the failure is kept and reported if that provider is then asked for); two providers
 * with one name are an error naming both classes and where they came from.
 */
public final class ProviderRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(ProviderRegistry.class);
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]{0,31}");

    /** Where our own providers live, to tell users which dependency to add. */
    private static final Map<String, String> KNOWN = Map.of(
            "sqlite", "dev.polystore:storage-sqlite",
            "dynamodb", "dev.polystore:storage-dynamodb",
            "memory", "dev.polystore:storage-memory",
            "postgres", "dev.polystore:storage-postgres",
            "redis", "dev.polystore:storage-redis",
            "mirror", "dev.polystore:storage-mirror");

    private final Map<String, List<StorageProvider>> byName;
    private final List<Throwable> loadFailures;

    private ProviderRegistry(Map<String, List<StorageProvider>> byName, List<Throwable> loadFailures) {
        this.byName = byName;
        this.loadFailures = loadFailures;
    }

    public static ProviderRegistry discover() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        Map<String, List<StorageProvider>> byName = new TreeMap<>();
        List<Throwable> failures = new ArrayList<>();
        Set<String> seenClasses = new TreeSet<>();
        for (ClassLoader loader : new ClassLoader[] {context, StorageProvider.class.getClassLoader()}) {
            if (loader == null) {
                continue;
            }
            Iterator<StorageProvider> it = ServiceLoader.load(StorageProvider.class, loader).iterator();
            while (true) {
                StorageProvider provider;
                try {
                    if (!it.hasNext()) {
                        break;
                    }
                    provider = it.next();
                } catch (ServiceConfigurationError e) {
                    LOG.warn("A storage provider could not be loaded and is skipped: {}", e.getMessage(), e);
                    failures.add(e);
                    continue;
                }
                if (!seenClasses.add(provider.getClass().getName() + "@" + location(provider))) {
                    continue;
                }
                String name;
                try {
                    name = provider.name();
                } catch (RuntimeException e) {
                    LOG.warn("Storage provider {} failed to report its name and is skipped", provider.getClass().getName(), e);
                    failures.add(e);
                    continue;
                }
                byName.computeIfAbsent(name, n -> new ArrayList<>()).add(provider);
            }
        }
        return new ProviderRegistry(byName, failures);
    }

    public Set<String> names() {
        return new TreeSet<>(byName.keySet());
    }

    /** The single provider called {@code name}, or a {@link ConfigurationException} saying what to do. */
    public StorageProvider require(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new ConfigurationException("storage.backend = \"" + name + "\": expected a provider name "
                    + "(lower-case letters and digits, starting with a letter); found on the class path: " + describeFound());
        }
        List<StorageProvider> found = byName.get(name);
        if (found == null || found.isEmpty()) {
            StringBuilder msg = new StringBuilder("storage.backend = \"").append(name)
                    .append("\": no storage provider with that name on the class path; found: ").append(describeFound()).append('.');
            String artifact = KNOWN.get(name);
            if (artifact != null) {
                msg.append(" The '").append(name).append("' provider is in ").append(artifact)
                        .append(": add it to your dependencies.");
            } else {
                msg.append(" Add the jar that provides '").append(name)
                        .append("' (registered in META-INF/services/dev.polystore.spi.StorageProvider).");
            }
            ConfigurationException e = new ConfigurationException(msg.toString());
            loadFailures.forEach(e::addSuppressed);
            throw e;
        }
        if (found.size() > 1) {
            StringBuilder msg = new StringBuilder("storage.backend = \"").append(name).append("\": ")
                    .append(found.size()).append(" providers share that name: ");
            for (int i = 0; i < found.size(); i++) {
                StorageProvider p = found.get(i);
                msg.append(i == 0 ? "" : ", ").append(p.getClass().getName()).append(" from ").append(location(p));
            }
            msg.append(". Keep one of them on the class path.");
            throw new ConfigurationException(msg.toString());
        }
        return found.get(0);
    }

    private String describeFound() {
        if (byName.isEmpty()) {
            return "none";
        }
        Map<String, String> described = new LinkedHashMap<>();
        byName.forEach((n, ps) -> described.put(n, ps.get(0).getClass().getName()));
        return described.keySet().toString();
    }

    private static String location(StorageProvider provider) {
        CodeSource source = provider.getClass().getProtectionDomain().getCodeSource();
        return source == null || source.getLocation() == null ? "(unknown location)" : source.getLocation().toString();
    }
}
