package dev.polystore.dialogue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polystore.CodecException;
import dev.polystore.JacksonCodec;
import dev.polystore.ValidationException;
import java.util.List;
import java.util.Objects;

/**
 * A whole dialogue as one value: the dialogue, every perspective and every tension with its
 * full history, each list ordered by id.
 *
 * <p>Its JSON form ({@link #toJson()}, documented in {@code docs/domain-stores.md}) is an object
 * with {@code formatVersion}, {@code dialogue}, {@code perspectives} and {@code tensions}, each
 * record written with its component names, instants as ISO-8601 strings and enums by name;
 * {@link #fromJson(String)} reads it back to an equal value.
 *
 * @param formatVersion version of the export format, currently {@value #FORMAT_VERSION}
 * @param dialogue the dialogue
 * @param perspectives every perspective, ordered by id
 * @param tensions every tension with its history, ordered by id
 */
public record DialogueExport(int formatVersion, Dialogue dialogue, List<Perspective> perspectives,
                             List<Tension> tensions) {
    /** The current export format. */
    public static final int FORMAT_VERSION = 1;

    private static final ObjectMapper MAPPER = JacksonCodec.defaultMapper();

    public DialogueExport {
        Objects.requireNonNull(dialogue, "dialogue");
        perspectives = List.copyOf(perspectives);
        tensions = List.copyOf(tensions);
    }

    /** This export as JSON (UTF-8 text). */
    public String toJson() {
        try {
            return MAPPER.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new CodecException("cannot write dialogue export " + dialogue.id() + " as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /**
     * Reads an export written by {@link #toJson()}.
     *
     * @throws ValidationException if {@code json} is not an export of a format this version reads
     */
    public static DialogueExport fromJson(String json) {
        DialogueExport export;
        try {
            export = MAPPER.readValue(Objects.requireNonNull(json, "json"), DialogueExport.class);
        } catch (JsonProcessingException | RuntimeException e) {
            throw new ValidationException("not a dialogue export: " + e.getMessage(), e);
        }
        if (export.formatVersion() != FORMAT_VERSION) {
            throw new ValidationException("dialogue export format " + export.formatVersion()
                    + " is not supported; this version reads format " + FORMAT_VERSION);
        }
        return export;
    }
}
