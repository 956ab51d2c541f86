package dev.polystore.spi;

import java.time.Clock;
import java.util.Objects;

/**
 * What a provider gets when asked to open a backend.
 *
 * @param config the provider's section, e.g. {@code [storage.sqlite]}
 * @param clock the clock deciding when items expire; the system UTC clock unless a test sets one
 */
public record ProviderContext(ConfigSection config, Clock clock) {
    public ProviderContext {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(clock, "clock");
    }
}
