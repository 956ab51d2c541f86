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
 */
public sealed interface Condition {

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
        public String toString() {
            return "none";
        }
    }

    /** The item must not exist. */
    enum IfAbsent implements Condition {
        INSTANCE;

        @Override
        public String toString() {
            return "if absent";
        }
    }

    /** The item must exist. */
    enum IfExists implements Condition {
        INSTANCE;

        @Override
        public String toString() {
            return "if exists";
        }
    }

    /** The item must exist with this version. */
    record IfVersion(long version) implements Condition {
        @Override
        public String toString() {
            return "if version = " + version;
        }
    }
}
