package dev.polystore.spi.brokenfixture;

/** An SPI type that uses the API's implementation, which the SPI rule must report. */
public final class SpiUsingInternals {
    private SpiUsingInternals() {
    }

    public static Class<?> implementation() {
        return dev.polystore.internal.Futures.class;
    }
}
