package dev.polystore.spi;

import dev.polystore.Key;
import dev.polystore.ValidationException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * A scan segment of an engine that keeps items in key order (SQLite, PostgreSQL, the memory
 * backend): the keys {@code from <= key < to} in {@link #ORDER}, resumed strictly after
 * {@code after}. It is its own opaque position: {@link #encode()} gives the string a backend
 * hands out from {@link StorageBackend#scanSegments} and {@link StorageBackend#scan}, and
 * {@link #decode} reads it back, in any process. A helper for backend authors; an engine that
 * splits another way (DynamoDB's parallel scan) makes positions of its own.
 *
 * <p>Because segments are disjoint key ranges and a scan moves forward in key order, a key is
 * returned at most once per scan whatever is written meanwhile, and an item that exists from the
 * start of the scan to its end is returned exactly once.
 *
 * @param tag names the engine that made the position (e.g. {@code "sqlite"}), so that a position
 *            from another engine is refused rather than misread
 * @param from inclusive lower bound, or null for the first key
 * @param to exclusive upper bound, or null for past the last key
 * @param after resume strictly after this key, or null to start at {@code from}
 */
public record KeySegment(String tag, Key from, Key to, Key after) {
    /** Keys in the portable order: partition key by UTF-8 bytes, then sort key by UTF-8 bytes. */
    public static final Comparator<Key> ORDER = KeySegment::compare;

    private static final int FORMAT = 1;
    private static final Key EMPTY = Key.of("\u0001", "\u0001");

    public KeySegment {
        Objects.requireNonNull(tag, "tag");
    }

    /** Compares keys in {@link #ORDER}. */
    public static int compare(Key a, Key b) {
        int c = SortKeys.compare(a.pk(), b.pk());
        return c != 0 ? c : SortKeys.compare(a.sk(), b.sk());
    }

    /** Whether {@code key} belongs to this segment and lies after its resume position. */
    public boolean admits(Key key) {
        return (from == null || compare(key, from) >= 0) && (to == null || compare(key, to) < 0)
                && (after == null || compare(key, after) > 0);
    }

    /** Whether every key at or after {@code key} lies past this segment's upper bound. */
    public boolean pastEnd(Key key) {
        return to != null && compare(key, to) >= 0;
    }

    /** Whether the segment holds no key at all ({@code from >= to}). */
    public boolean empty() {
        return from != null && to != null && compare(from, to) >= 0;
    }

    /** The same segment, resumed after {@code key}. */
    public KeySegment resumeAfter(Key key) {
        return new KeySegment(tag, from, to, Objects.requireNonNull(key, "key"));
    }

    /**
     * {@code n} segments split at {@code boundaries}: segment {@code i} runs from boundary
     * {@code i - 1} (inclusive) to boundary {@code i} (exclusive), the first from the first key,
     * the last past the last key. With fewer than {@code n - 1} distinct boundaries (a small
     * store), the segments beyond them are empty.
     *
     * @param boundaries keys, in any order; duplicates are ignored
     */
    public static List<KeySegment> split(String tag, List<Key> boundaries, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("segments must be >= 1, got " + n);
        }
        List<Key> sorted = new ArrayList<>(boundaries);
        sorted.sort(ORDER);
        List<Key> distinct = new ArrayList<>();
        for (Key k : sorted) {
            if (distinct.isEmpty() || compare(distinct.get(distinct.size() - 1), k) != 0) {
                distinct.add(k);
            }
        }
        if (distinct.size() > n - 1) {
            throw new IllegalArgumentException(distinct.size() + " boundaries for " + n + " segments");
        }
        List<KeySegment> segments = new ArrayList<>(n);
        for (int i = 0; i <= distinct.size(); i++) {
            segments.add(new KeySegment(tag, i == 0 ? null : distinct.get(i - 1),
                    i == distinct.size() ? null : distinct.get(i), null));
        }
        while (segments.size() < n) {
            segments.add(new KeySegment(tag, EMPTY, EMPTY, null));
        }
        return segments;
    }

    /**
     * {@code n - 1} (or fewer) boundaries that cut {@code samples}, keys drawn evenly from a
     * store, into {@code n} parts of about equal size: the quantiles of the sorted samples. Draw
     * several samples per segment (16, say) for balanced segments.
     */
    public static List<Key> quantiles(List<Key> samples, int n) {
        List<Key> sorted = new ArrayList<>(samples);
        sorted.sort(ORDER);
        List<Key> cuts = new ArrayList<>();
        if (sorted.isEmpty()) {
            return cuts;
        }
        for (int j = 1; j < n; j++) {
            Key k = sorted.get((int) ((long) j * sorted.size() / n));
            if (!k.equals(sorted.get(0)) && (cuts.isEmpty() || compare(cuts.get(cuts.size() - 1), k) < 0)) {
                cuts.add(k);
            }
        }
        return cuts;
    }

    /** The opaque position: URL-safe base64 of a small versioned binary form. */
    public String encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeUTF(tag);
            writeKey(out, from);
            writeKey(out, to);
            writeKey(out, after);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.toByteArray());
    }

    /**
     * Reads a position made by {@link #encode()}.
     *
     * @throws ValidationException if it is not one, or was made by an engine other than {@code tag}
     */
    public static KeySegment decode(String position, String tag) {
        if (position == null) {
            throw new ValidationException("a scan position must not be null");
        }
        KeySegment segment;
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(Base64.getUrlDecoder().decode(position)))) {
            int format = in.readUnsignedByte();
            if (format != FORMAT) {
                throw new ValidationException("scan position of unknown format " + format + "; positions are made by "
                        + "scanSegments and scan of the same engine");
            }
            segment = new KeySegment(in.readUTF(), readKey(in), readKey(in), readKey(in));
            if (in.read() != -1) {
                throw new ValidationException("malformed scan position (trailing bytes)");
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new ValidationException("malformed scan position: it was not made by scanSegments or scan (" + e.getMessage()
                    + ")");
        }
        if (!segment.tag.equals(tag)) {
            throw new ValidationException("scan position made by the " + segment.tag + " backend, not by " + tag
                    + ": positions belong to the engine that planned the scan");
        }
        return segment;
    }

    private static void writeKey(DataOutputStream out, Key key) throws IOException {
        out.writeBoolean(key != null);
        if (key != null) {
            out.writeUTF(key.pk());
            out.writeUTF(key.sk());
        }
    }

    private static Key readKey(DataInputStream in) throws IOException {
        return in.readBoolean() ? Key.of(in.readUTF(), in.readUTF()) : null;
    }

    /** No keys: positions are data and this may reach a log. */
    @Override
    public String toString() {
        return "KeySegment[" + tag + (from == null ? ", from start" : "") + (to == null ? ", to end" : "")
                + (after == null ? "" : ", resumed") + "]";
    }
}
