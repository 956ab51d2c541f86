package dev.polystore.internal.coordination;

import dev.polystore.CodecException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The payload of an event item: a small binary frame, the same bytes on every backend.
 * <pre>
 * byte    format (1)
 * int+utf8 id, int+utf8 type
 * long    recorded at, epoch milliseconds
 * int     metadata entries, then int+utf8 key, int+utf8 value each
 * int+raw data (the codec's bytes)
 * </pre>
 * The revision is the item's sort key, the stream its partition.
 */
final class EventEnvelope {
    static final byte FORMAT = 1;

    record Decoded(String id, String type, Map<String, String> metadata, long recordedAt, byte[] data) {
    }

    private EventEnvelope() {
    }

    static byte[] encode(String id, String type, Map<String, String> metadata, long recordedAt, byte[] data) {
        byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
        byte[] typeBytes = type.getBytes(StandardCharsets.UTF_8);
        int size = 1 + 4 + idBytes.length + 4 + typeBytes.length + 8 + 4 + 4 + data.length;
        byte[][] meta = new byte[metadata.size() * 2][];
        int m = 0;
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            meta[m] = e.getKey().getBytes(StandardCharsets.UTF_8);
            meta[m + 1] = e.getValue().getBytes(StandardCharsets.UTF_8);
            size += 8 + meta[m].length + meta[m + 1].length;
            m += 2;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(FORMAT);
        b.putInt(idBytes.length).put(idBytes);
        b.putInt(typeBytes.length).put(typeBytes);
        b.putLong(recordedAt);
        b.putInt(metadata.size());
        for (byte[] part : meta) {
            b.putInt(part.length).put(part);
        }
        b.putInt(data.length).put(data);
        return b.array();
    }

    static Decoded decode(byte[] bytes, String where) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            byte format = b.get();
            if (format != FORMAT) {
                throw new CodecException("event " + where + " has format " + format + "; this version reads format "
                        + FORMAT, null);
            }
            String id = string(b);
            String type = string(b);
            long at = b.getLong();
            int entries = b.getInt();
            if (entries < 0 || entries > b.remaining()) {
                throw new CodecException("event " + where + " is damaged (metadata count " + entries + ")", null);
            }
            Map<String, String> metadata = new LinkedHashMap<>();
            for (int i = 0; i < entries; i++) {
                metadata.put(string(b), string(b));
            }
            int length = b.getInt();
            if (length < 0 || length != b.remaining()) {
                throw new CodecException("event " + where + " is damaged (data length " + length + ", "
                        + b.remaining() + " bytes left)", null);
            }
            byte[] data = new byte[length];
            b.get(data);
            return new Decoded(id, type, metadata, at, data);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new CodecException("event " + where + " is damaged: " + e, e);
        }
    }

    private static String string(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) {
            throw new IllegalArgumentException("a string of " + n + " bytes with " + b.remaining() + " left");
        }
        String s = new String(bytes(b, n), StandardCharsets.UTF_8);
        return s;
    }

    private static byte[] bytes(ByteBuffer b, int n) {
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    static byte[] longBytes(long value) {
        return ByteBuffer.allocate(8).putLong(value).array();
    }

    static long readLong(byte[] bytes, String where) {
        if (bytes.length != 8) {
            throw new CodecException(where + " holds " + bytes.length + " bytes, not an 8-byte revision", null);
        }
        return ByteBuffer.wrap(bytes).getLong();
    }
}
