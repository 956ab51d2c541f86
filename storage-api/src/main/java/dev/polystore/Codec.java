package dev.polystore;

/**
 * Turns values into the bytes a backend stores and back. Implementations must be thread-safe
 * and deterministic enough that {@code decode(encode(v))} equals {@code v}.
 *
 * <p>The default is {@link JacksonCodec} (JSON). Failures should be reported as
 * {@link CodecException}; other runtime exceptions are wrapped into one.
 *
 * @param <T> the value type
 */
public interface Codec<T> {
    byte[] encode(T value);

    T decode(byte[] bytes);

    /**
     * Stores bytes as they are. {@code encode} copies the array (the write may happen after the
     * caller changes it); {@code decode} returns the array it is given, which a store reads fresh
     * for every item it returns, so every array a store hands out is the caller's own.
     */
    static Codec<byte[]> bytes() {
        return BytesCodec.INSTANCE;
    }

    /** Stores strings as UTF-8. */
    static Codec<String> utf8() {
        return Utf8Codec.INSTANCE;
    }
}

enum BytesCodec implements Codec<byte[]> {
    INSTANCE;

    @Override
    public byte[] encode(byte[] value) {
        return value.clone();
    }

    @Override
    public byte[] decode(byte[] bytes) {
        // The SPI hands the API a payload array nobody else holds (StorageBackend's contract).
        return bytes;
    }
}

enum Utf8Codec implements Codec<String> {
    INSTANCE;

    @Override
    public byte[] encode(String value) {
        return value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public String decode(byte[] bytes) {
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }
}
