package dev.polystore.spi;

import dev.polystore.ValidationException;
import java.util.regex.Pattern;

/**
 * The rule for table (store) names, for backends that build engine identifiers from them.
 * The API layer checks every name before a backend sees it; a backend that puts a name into
 * SQL or a key prefix may check again with {@link #require(String)} so that no identifier is
 * ever built from unchecked input.
 */
public final class TableNames {
    private static final Pattern TABLE = Pattern.compile("[a-z][a-z0-9_]{0,47}");

    /** The longest table name, in characters. */
    public static final int MAX_LENGTH = 48;

    private TableNames() {
    }

    /** Whether {@code name} matches {@code [a-z][a-z0-9_]{0,47}}. */
    public static boolean isValid(String name) {
        return name != null && TABLE.matcher(name).matches();
    }

    /**
     * Returns {@code name} if it matches {@code [a-z][a-z0-9_]{0,47}}.
     *
     * @throws ValidationException otherwise, saying what is allowed
     */
    public static String require(String name) {
        if (!isValid(name)) {
            throw new ValidationException("store name \"" + name + "\" is not allowed: use 1 to 48 lower-case letters, "
                    + "digits and '_', starting with a letter");
        }
        return name;
    }
}
