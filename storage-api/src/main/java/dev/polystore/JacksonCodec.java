package dev.polystore;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.util.Objects;

/**
 * JSON through Jackson, the default {@link Codec}. Records, POJOs, {@code java.time} types and
 * {@code Optional} work out of the box; dates are written as ISO-8601 strings. Unknown
 * properties in stored JSON are ignored, so adding a field to a type never breaks reading old
 * items.
 *
 * @param <T> the value type
 */
public final class JacksonCodec<T> implements Codec<T> {
    private static final ObjectMapper DEFAULT_MAPPER = defaultMapper();

    private final ObjectMapper mapper;
    private final JavaType type;

    private JacksonCodec(ObjectMapper mapper, JavaType type) {
        this.mapper = mapper;
        this.type = type;
    }

    /** A codec for {@code type} with Polystore's default mapper. */
    public static <T> JacksonCodec<T> of(Class<T> type) {
        return new JacksonCodec<>(DEFAULT_MAPPER, DEFAULT_MAPPER.constructType(Objects.requireNonNull(type, "type")));
    }

    /** A codec for {@code type} with your own mapper (its configuration is used as is). */
    public static <T> JacksonCodec<T> of(ObjectMapper mapper, Class<T> type) {
        return new JacksonCodec<>(Objects.requireNonNull(mapper, "mapper"), mapper.constructType(type));
    }

    /** A copy of the mapper the default codecs use, to customise and pass to {@link #of(ObjectMapper, Class)}. */
    public static ObjectMapper defaultMapper() {
        return JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .addModule(new Jdk8Module())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
                .build();
    }

    @Override
    public byte[] encode(T value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new CodecException("cannot encode a " + value.getClass().getName() + " as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    @Override
    public T decode(byte[] bytes) {
        try {
            return mapper.readValue(bytes, type);
        } catch (IOException e) {
            throw new CodecException("cannot decode a stored payload of " + bytes.length + " bytes as "
                    + type.toCanonical() + ": " + e.getMessage(), e);
        }
    }
}
