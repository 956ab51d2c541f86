package dev.polystore.internal.domain;

import dev.polystore.ValidationException;
import java.util.regex.Pattern;

/** Validation of the identifiers and names the domain stores put into keys. */
final class Ids {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern LINK_TYPE = Pattern.compile("[a-z0-9_-]{1,64}");

    private Ids() {
    }

    /** An id that becomes part of a key: 1 to 64 of {@code A-Z a-z 0-9 _ . -}, starting with a letter or digit. */
    static String requireId(String what, String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new ValidationException(what + " \"" + id + "\" is not allowed: use 1 to 64 characters from "
                    + "A-Z a-z 0-9 _ . -, starting with a letter or digit");
        }
        return id;
    }

    static String requireLinkType(String type) {
        if (type == null || !LINK_TYPE.matcher(type).matches()) {
            throw new ValidationException("link type \"" + type + "\" is not allowed: use 1 to 64 characters from "
                    + "a-z 0-9 _ -");
        }
        return type;
    }

    static String requireText(String what, String value) {
        if (value == null) {
            throw new ValidationException(what + " must not be null");
        }
        return value;
    }

    static String requireNonBlank(String what, String value) {
        if (value == null || value.isBlank()) {
            throw new ValidationException(what + " must not be blank");
        }
        return value;
    }

    static int requireRound(String what, int round) {
        if (round < 1) {
            throw new ValidationException(what + " must be 1 or more (rounds start at 1), got " + round);
        }
        return round;
    }
}
