package dev.polystore.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.polystore.ConfigurationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads the {@code [storage]} table of a TOML file into flat keys ({@code backend}, {@code sqlite.path}). */
public final class TomlConfigReader {
    private static final TomlMapper MAPPER = new TomlMapper();

    private TomlConfigReader() {
    }

    public static Map<String, String> read(Path file) {
        JsonNode root;
        try {
            root = MAPPER.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new ConfigurationException("config file " + file.toAbsolutePath() + " does not exist", e);
        } catch (IOException e) {
            throw new ConfigurationException("cannot read config file " + file + " as TOML: " + e.getMessage(), e);
        }
        JsonNode storage = root == null ? null : root.get("storage");
        if (storage == null || !storage.isObject()) {
            throw new ConfigurationException("config file " + file + " has no [storage] table; add one with at least "
                    + "backend = \"sqlite\" (see docs/configuration.md)");
        }
        Map<String, String> values = new LinkedHashMap<>();
        flatten(file, "", storage, values, 0);
        return values;
    }

    private static void flatten(Path file, String prefix, JsonNode node, Map<String, String> out, int depth) {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String key = prefix + field.getKey();
            JsonNode value = field.getValue();
            if (value.isObject()) {
                if (depth > 0) {
                    throw new ConfigurationException("storage." + key + " in " + file
                            + ": tables nest only one level under [storage], e.g. [storage.sqlite]");
                }
                flatten(file, key + ".", value, out, depth + 1);
            } else if (value.isValueNode() && !value.isNull()) {
                out.put(key, value.asText());
            } else if (value.isArray()) {
                // An array of names (e.g. layers = ["encryption"]) is kept as the names joined by
                // commas, the form the same key takes in an environment variable.
                java.util.List<String> names = new java.util.ArrayList<>();
                for (JsonNode element : value) {
                    if (!element.isTextual() || element.asText().contains(",")) {
                        throw new ConfigurationException("storage." + key + " in " + file
                                + ": an array holds only strings without commas, got " + element);
                    }
                    names.add(element.asText());
                }
                out.put(key, String.join(",", names));
            } else {
                throw new ConfigurationException("storage." + key + " in " + file
                        + ": expected a string, number, boolean or array of strings, got " + value.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
            }
        }
    }
}
