package dev.polystore;

/**
 * A condition on the current state of an item, checked atomically with a write.
 *
 * <ul>
 *   <li>{@link #none()}: no condition;</li>
 *   <li>{@link #ifAbsent()}: the item must not exist (an expired item counts as absent);</li>
 *   <li>{@link #ifExists()}: the item must exist;</li>
 *   <li>{@link #ifVersion(long)}: the item must exist with exactly this version.</li>
 * </ul>
 *
 * <p>Java 17 cannot switch over a sealed interface's types, so a condition also says what it is
 * with {@link #kind()} (a {@code switch} over an enum the compiler checks for exhaustiveness in a
 * switch expression) and {@link #expectedVersion()}; backends that check conditions themselves
 * can use {@link #holds(long)}:
 *
 * <pre>{@code
 * String expression = switch (condition.kind()) {
 *     case NONE -> null;
 *     case IF_ABSENT -> "attribute_not_exists(pk)";
 *     case IF_EXISTS -> "attribute_exists(pk)";
 *     case IF_VERSION -> "version = " + condition.expectedVersion();
 * };
 * }</pre>
 *
 * <p>Conditions are immutable values, safe to share between threads.
 */
public sealed interface Condition {

    /** What a condition asks of the current item. */
    enum Kind {
        /** {@link Condition#none()}. */
        NONE,
        /** {@link Condition#ifAbsent()}. */
        IF_ABSENT,
        /** {@link Condition#ifExists()}. */
        IF_EXISTS,
        /** {@link Condition#ifVersion(long)}; {@link Condition#expectedVersion()} says which version. */
        IF_VERSION
    }

    /** What this condition asks of the current item. */
    Kind kind();

    /**
     * The version an {@link Kind#IF_VERSION} condition expects (at least 1).
     *
     * @throws IllegalStateException for any other kind, which expects no version
     */
    default long expectedVersion() {
        throw new IllegalStateException("condition \"" + this + "\" expects no version; check kind() first");
    }

    /**
     * Whether this condition holds for the current item, as the engine sees it atomically with
     * the write.
     *
     * @param currentVersion the version of the current unexpired item, or 0 if there is none
     *     (absent or expired); versions start at 1, so 0 is never a real version
     * @throws IllegalArgumentException if {@code currentVersion} is negative
     */
    boolean holds(long currentVersion);

    private static long requireVersion(long currentVersion) {
        if (currentVersion < 0) {
            throw new IllegalArgumentException("current version must be >= 0 (0 for no item), got " + currentVersion);
        }
        return currentVersion;
    }

    static Condition none() {
        return None.INSTANCE;
    }

    static Condition ifAbsent() {
        return IfAbsent.INSTANCE;
    }

    static Condition ifExists() {
        return IfExists.INSTANCE;
    }

    /**
     * @param version the version the item must have; versions start at 1
     * @throws ValidationException if {@code version < 1}
     */
    static Condition ifVersion(long version) {
        if (version < 1) {
            throw new ValidationException("version must be >= 1 (versions start at 1), got " + version);
        }
        return new IfVersion(version);
    }

    /** No condition. */
    enum None implements Condition {
        INSTANCE;

        @Override
        public Kind kind() {
            return Kind.NONE;
        }

        @Override
        public boolean holds(long currentVersion) {
            requireVersion(currentVersion);
            return true;
        }

        @Override
        public String toString() {
            return "none";
        }
    }

    /** The item must not exist. */
    enum IfAbsent implements Condition {
        INSTANCE;

        @Override
        public Kind kind() {
            return Kind.IF_ABSENT;
        }

        @Override
        public boolean holds(long currentVersion) {
            return requireVersion(currentVersion) == 0;
        }

        @Override
        public String toString() {
            return "if absent";
        }
    }

    /** The item must exist. */
    enum IfExists implements Condition {
        INSTANCE;

        @Override
        public Kind kind() {
            return Kind.IF_EXISTS;
        }

        @Override
        public boolean holds(long currentVersion) {
            return requireVersion(currentVersion) > 0;
        }

        @Override
        public String toString() {
            return "if exists";
        }
    }

    /** The item must exist with this version. */
    record IfVersion(long version) implements Condition {
        @Override
        public Kind kind() {
            return Kind.IF_VERSION;
        }

        @Override
        public long expectedVersion() {
            return version;
        }

        @Override
        public boolean holds(long currentVersion) {
            return requireVersion(currentVersion) == version;
        }

        @Override
        public String toString() {
            return "if version = " + version;
        }
    }
}

