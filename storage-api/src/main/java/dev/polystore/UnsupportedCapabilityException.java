package dev.polystore;

/**
 * The backend does not offer an optional {@link Capability}. Nothing was written. Check
 * {@link Storage#capabilities()} before relying on optional features.
 */
public class UnsupportedCapabilityException extends StoreException {
    private static final long serialVersionUID = 1L;

    private final Capability capability;

    public UnsupportedCapabilityException(String backend, Capability capability) {
        super("backend '" + backend + "' does not support " + capability
                + "; check Storage.capabilities() or choose a backend that declares it");
        this.capability = capability;
    }

    public Capability capability() {
        return capability;
    }
}
