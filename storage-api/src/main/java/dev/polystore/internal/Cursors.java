package dev.polystore.internal;

import dev.polystore.Direction;
import dev.polystore.KeyRange;
import dev.polystore.ValidationException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.CRC32;

/**
 * Opaque page cursors: the sort key to resume after, tagged with a fingerprint of the query
 * (partition, range, direction) so that a cursor cannot be replayed against another query.
 * They carry no engine-specific state, so a cursor is valid on any backend.
 */
public final class Cursors {
    private static final String VERSION = "c1";

    private Cursors() {
    }

    public static String encode(String table, String pk, KeyRange range, Direction direction, String lastSk) {
        String raw = VERSION + "\n" + fingerprint(table, pk, range, direction) + "\n" + lastSk;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    /** The sort key to resume after. */
    public static String decode(String cursor, String table, String pk, KeyRange range, Direction direction) {
        String raw;
        try {
            raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ValidationException("malformed cursor: pass back exactly the string a page returned", e);
        }
        String[] parts = raw.split("\n", 3);
        if (parts.length != 3 || !parts[0].equals(VERSION) || parts[2].isEmpty()) {
            throw new ValidationException("malformed cursor: pass back exactly the string a page returned");
        }
        if (!parts[1].equals(fingerprint(table, pk, range, direction))) {
            throw new ValidationException("this cursor belongs to another query: a cursor only resumes the query "
                    + "(store, partition, range and direction) whose page returned it");
        }
        return parts[2];
    }

    private static String fingerprint(String table, String pk, KeyRange range, Direction direction) {
        CRC32 crc = new CRC32();
        crc.update((table + "\u0000" + pk + "\u0000" + range + "\u0000" + direction).getBytes(StandardCharsets.UTF_8));
        return Long.toHexString(crc.getValue());
    }
}
