package dev.polystore.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.polystore.StoreException;
import dev.polystore.migration.StoredItem;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The reject file: one JSON line per item that was not written ({@code store}, {@code pk},
 * {@code sk}, {@code version}, {@code error} (the exception's simple name), {@code message}),
 * appended to across runs and flushed after every line. It holds keys: treat it like the data.
 * Thread-safe.
 */
final class RejectLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BufferedWriter out;

    private RejectLog(BufferedWriter out) {
        this.out = out;
    }

    /** A log appending to {@code file}, or one that only counts when {@code file} is null. */
    static RejectLog open(Path file) {
        if (file == null) {
            return new RejectLog(null);
        }
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            return new RejectLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND));
        } catch (IOException e) {
            throw new JobException("cannot open the reject file " + file + ": " + e.getMessage(), e);
        }
    }

    synchronized void reject(String store, StoredItem item, StoreException why) {
        if (out == null) {
            return;
        }
        ObjectNode line = JSON.createObjectNode();
        line.put("store", store);
        line.put("pk", item.key().pk());
        line.put("sk", item.key().sk());
        line.put("version", item.version());
        line.put("error", why.getClass().getSimpleName());
        line.put("message", why.getMessage());
        try {
            out.write(JSON.writeValueAsString(line));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the reject file", e);
        }
    }

    @Override
    public synchronized void close() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close the reject file", e);
            }
        }
    }
}
