package dev.polystore.testkit.faults;

import java.util.Objects;

/**
 * One kind of fault a {@link FaultInjector} can inject into an engine call, with what the engine
 * holds after it. The sweep does not rely on {@link #effect()} to judge outcomes (it reads the
 * data back); the effect says what the kind stages, for the figures and for readers.
 *
 * @param name short name for figures and messages, e.g. {@code "response lost"}
 * @param effect what the engine holds after the faulty call
 * @param description what the fault does and what the backend reports, in a sentence
 */
public record FaultKind(String name, Effect effect, String description) {
    /** What the engine holds after a faulty call. */
    public enum Effect {
        /** The call did nothing: it failed before reaching the engine, or the engine refused it whole. */
        NOT_APPLIED,
        /** The engine did what was asked; the answer was lost on the way back. */
        APPLIED,
        /** Either, and the injector cannot say which (an I/O error at commit, say). */
        EITHER
    }

    public FaultKind {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(effect, "effect");
        Objects.requireNonNull(description, "description");
    }

    @Override
    public String toString() {
        return name;
    }
}
