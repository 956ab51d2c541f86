package dev.polystore.mirror;

import dev.polystore.Capability;
import dev.polystore.ConfigurationException;
import dev.polystore.spi.BackendOpener;
import dev.polystore.spi.ConfigSection;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code mirror} provider: opens a {@link MirrorBackend} over the two backends named by
 * {@code [storage.mirror] primary} and {@code secondary}, each configured by its own section of the
 * same configuration.
 *
 * <p>Keys of {@code [storage.mirror]} (see {@code docs/configuration.md}):
 * <ul>
 *   <li>{@code primary}, {@code secondary} (required): {@code "<provider>"}, configured by
 *       {@code [storage.<provider>]}, or {@code "<provider>:<section>"}, configured by
 *       {@code [storage.<section>]} (two engines of one kind side by side);</li>
 *   <li>{@code repair_log} (default {@code .polystore/mirror-repair-<primary section>-to-<secondary section>.log}):
 *       the file of keys whose secondary write failed;</li>
 *   <li>{@code repair_interval_ms} (default 30000; 0: only at open and on
 *       {@link MirrorBackend#repair()}): how often those keys are written to the secondary again.</li>
 * </ul>
 *
 * <p>Thread-safe; cheap to construct.
 */
public final class MirrorStorageProvider implements StorageProvider {
    /** The default of {@code repair_interval_ms}. */
    public static final Duration DEFAULT_REPAIR_INTERVAL = Duration.ofSeconds(30);

    private static final Pattern SIDE = Pattern.compile("([a-z][a-z0-9]{0,31})(?::([a-z][a-z0-9]{0,31}))?");

    /** For {@link java.util.ServiceLoader}. */
    public MirrorStorageProvider() {
    }

    @Override
    public String name() {
        return "mirror";
    }

    @Override
    public String artifact() {
        return "dev.polystore:storage-mirror";
    }

    /**
     * Always fails: a mirror opens two other backends of its configuration, which it can only do
     * through {@link dev.polystore.StoreFactory} (that calls {@link #open(ProviderContext, BackendOpener)}).
     */
    @Override
    public StorageBackend open(ProviderContext context) {
        throw new ConfigurationException("the mirror backend opens two backends of its configuration: open it with "
                + "StoreFactory (storage.backend = \"mirror\"), or build a MirrorBackend in code");
    }

    @Override
    public StorageBackend open(ProviderContext context, BackendOpener others) {
        ConfigSection config = context.config();
        String[] primary = side(config, "primary");
        String[] secondary = side(config, "secondary");
        if (primary[1].equals(secondary[1])) {
            throw new ConfigurationException(config.fullKey("primary") + " and " + config.fullKey("secondary")
                    + " both name [storage." + primary[1] + "]: expected two different engines (for two engines of "
                    + "one provider, name their sections: \"" + primary[0] + ":old\" and \"" + primary[0] + ":new\")");
        }
        // One log per direction: after a flip, keys left by the other direction are not replayed the wrong way.
        Path repairLog = config.path("repair_log", ".polystore/mirror-repair-" + primary[1] + "-to-" + secondary[1]
                + ".log");
        Duration interval = config.millis("repair_interval_ms", DEFAULT_REPAIR_INTERVAL, Duration.ZERO,
                Duration.ofDays(1));
        config.rejectUnknownKeys();
        StorageBackend p = others.open(primary[0], primary[1]);
        StorageBackend s = null;
        try {
            s = others.open(secondary[0], secondary[1]);
            if (!s.capabilities().has(Capability.IMPORT)) {
                throw new ConfigurationException(config.fullKey("secondary") + " = \"" + String.join(":", secondary)
                        + "\": the " + s.name() + " backend lacks the IMPORT capability the mirror writes it with "
                        + "(the primary's versions and expiry, as they are)");
            }
            return MirrorBackend.open(p, s, repairLog, interval, context.clock());
        } catch (RuntimeException e) {
            if (s != null) {
                s.close();
            }
            p.close();
            throw e;
        }
    }

    /** {provider, section} of {@code key}. */
    private static String[] side(ConfigSection config, String key) {
        String value = config.requireString(key, "a provider name, e.g. \"sqlite\", or \"<provider>:<section>\"")
                .trim();
        Matcher m = SIDE.matcher(value);
        if (!m.matches()) {
            throw new ConfigurationException(config.fullKey(key) + " = \"" + value + "\": expected a provider name "
                    + "(lower-case letters and digits, starting with a letter), e.g. \"sqlite\", optionally with the "
                    + "section that configures it, e.g. \"sqlite:old\" for [storage.old]");
        }
        String provider = m.group(1);
        String section = m.group(2) == null ? provider : m.group(2);
        if (provider.equals("mirror") || section.equals("mirror")) {
            throw new ConfigurationException(config.fullKey(key) + " = \"" + value
                    + "\": a mirror cannot be built over itself");
        }
        return new String[] {provider, section};
    }
}
