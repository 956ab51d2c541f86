package dev.polystore.testkit.index;

import dev.polystore.Codec;
import dev.polystore.IndexSpec;
import dev.polystore.StoreOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The value the index contract stores: a status (index {@code byStatus}, sorted by {@code rank}),
 * tags (index {@code byTag}, several keys per value), an e-mail address (unique index
 * {@code byEmail}) and a note that no index reads. {@code null} fields leave the value out of their
 * index. Encoded as UTF-8 text with control-character separators (no JSON: the kit's values
 * carry exotic characters, U+0001 included, and must round-trip exactly).
 *
 * @param status the {@code byStatus} key, or null
 * @param rank the {@code byStatus} sort key, or null (then the value is not in {@code byStatus})
 * @param tags the {@code byTag} keys (may repeat; each counts once)
 * @param email the {@code byEmail} key, or null
 * @param note anything
 */
public record Doc(String status, String rank, List<String> tags, String email, String note) {
    private static final char FIELD = '\u001F';
    private static final char TAG = '\u001E';
    private static final char NULL = '\u001D';

    public Doc {
        tags = List.copyOf(tags);
        Objects.requireNonNull(note, "note");
    }

    /** A doc with only a status and rank. */
    public static Doc of(String status, String rank) {
        return new Doc(status, rank, List.of(), null, "");
    }

    public Doc withStatus(String newStatus) {
        return new Doc(newStatus, rank, tags, email, note);
    }

    public Doc withRank(String newRank) {
        return new Doc(status, newRank, tags, email, note);
    }

    public Doc withTags(String... newTags) {
        return new Doc(status, rank, Arrays.asList(newTags), email, note);
    }

    public Doc withEmail(String newEmail) {
        return new Doc(status, rank, tags, newEmail, note);
    }

    public Doc withNote(String newNote) {
        return new Doc(status, rank, tags, email, newNote);
    }

    /** {@code byStatus}: one key, sorted by rank. */
    public static final IndexSpec<Doc> BY_STATUS = IndexSpec.of("byStatus", Doc::status).sortedBy(Doc::rank);
    /** {@code byTag}: zero or more keys, ordered by item key. */
    public static final IndexSpec<Doc> BY_TAG = IndexSpec.multi("byTag", Doc::tags);
    /** {@code byEmail}: unique. */
    public static final IndexSpec<Doc> BY_EMAIL = IndexSpec.unique("byEmail", Doc::email);
    /** The three indexes. */
    public static final StoreOptions<Doc> OPTIONS = StoreOptions.indexes(BY_STATUS, BY_TAG, BY_EMAIL);

    /** Encodes every field exactly; the separators may not appear in fields. */
    public static final Codec<Doc> CODEC = new Codec<>() {
        @Override
        public byte[] encode(Doc d) {
            StringBuilder b = new StringBuilder();
            field(b, d.status());
            b.append(FIELD);
            field(b, d.rank());
            b.append(FIELD);
            b.append(String.join(String.valueOf(TAG), d.tags()));
            b.append(FIELD);
            field(b, d.email());
            b.append(FIELD);
            b.append(d.note());
            return b.toString().getBytes(StandardCharsets.UTF_8);
        }

        private void field(StringBuilder b, String s) {
            b.append(s == null ? String.valueOf(NULL) : s);
        }

        @Override
        public Doc decode(byte[] bytes) {
            String s = new String(bytes, StandardCharsets.UTF_8);
            String[] f = s.split(String.valueOf(FIELD), -1);
            if (f.length != 5) {
                throw new IllegalArgumentException("not a kit Doc: " + f.length + " fields");
            }
            List<String> tags = f[2].isEmpty() ? List.of() : new ArrayList<>(Arrays.asList(f[2].split(String.valueOf(TAG), -1)));
            return new Doc(nul(f[0]), nul(f[1]), tags, nul(f[3]), f[4]);
        }

        private String nul(String s) {
            return s.equals(String.valueOf(NULL)) ? null : s;
        }
    };
}
