package dev.polystore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.polystore.Capability;
import dev.polystore.Key;
import dev.polystore.spi.ImportMode;
import dev.polystore.migration.Migration;
import dev.polystore.spi.ScanPlan;
import dev.polystore.migration.ScanResult;
import dev.polystore.migration.StoredItem;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The Polystore export format, version {@value #VERSION}: JSON Lines (UTF-8), optionally gzip
 * (recognised on reading by its magic bytes), documented in {@code docs/migration.md}.
 *
 * <pre>
 * {"format":"polystore-export","version":1,"source":"sqlite","created":"2026-12-01T12:00:00Z"}
 * {"store":"users","pk":"u1","sk":"profile","version":3,"payload":"eyJuYW1lIjoiQW5uIn0="}
 * {"store":"users","pk":"u2","sk":"profile","version":1,"expiresAt":"2027-01-01T00:00:00Z","payload":"..."}
 * {"trailer":true,"items":2,"stores":{"users":{"items":2,"digest":"5c1f0e2a9b7d4411"}}}
 * </pre>
 *
 * The payload is the codec's bytes in base64; the digest is the order-independent sum of the
 * items' hashes that {@code polystore verify} also uses. An export is written to
 * {@code <file>.partial} and renamed when complete, so a file with the final name is whole. An
 * import checks the whole file first (header, every line, the trailer's counts and digests) and
 * writes nothing if any of it is wrong; then it imports exactly as read (versions and expiry
 * kept), and is idempotent: run it again after a failure. Static methods, thread-safe.
 */
public final class ExportFile {
    /** The format name in the header line. */
    public static final String FORMAT = "polystore-export";
    /** The format version this code writes and reads. */
    public static final int VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper();

    private ExportFile() {
    }

    /** Per-store counts and digests of an export, in the order written. */
    public record Contents(Map<String, Long> items, Map<String, String> digests) {
        public Contents {
            items = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(items));
            digests = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(digests));
        }

        public long total() {
            return items.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /**
     * Writes {@code stores} (empty: every store) of {@code source} to {@code file}, gzip if asked.
     * Blocks; {@link JobException} for bad input or a file that cannot be written, the engine's
     * {@code StoreException} for read failures (then no file with the final name is left).
     */
    public static Contents export(Migration source, List<String> stores, Path file, boolean gzip, int segments,
            int pageSize) {
        Objects.requireNonNull(file, "file");
        if (!source.capabilities().has(Capability.SCAN)) {
            throw new JobException("the source backend '" + source.backend() + "' cannot be scanned (no SCAN capability)");
        }
        List<String> names = Copier.resolveStores(source, stores);
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        Map<String, Long> counts = new LinkedHashMap<>();
        Map<String, String> digests = new LinkedHashMap<>();
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try (OutputStream raw = Files.newOutputStream(partial);
                    OutputStream os = gzip ? new GZIPOutputStream(raw, 1 << 16) : raw;
                    Writer w = new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8), 1 << 16)) {
                ObjectNode header = JSON.createObjectNode();
                header.put("format", FORMAT);
                header.put("version", VERSION);
                header.put("source", source.backend());
                header.put("created", source.clock().instant().toString());
                line(w, header);
                long total = 0;
                for (String store : names) {
                    long n = 0;
                    long digest = 0;
                    ScanPlan plan = BatchWriter.join(source.plan(store, segments));
                    for (String start : plan.positions()) {
                        for (String p = start; p != null; ) {
                            ScanResult page = BatchWriter.join(source.read(store, p, pageSize));
                            for (StoredItem item : page.items()) {
                                line(w, itemLine(store, item));
                                n++;
                                digest += ItemDigest.of(item);
                            }
                            p = page.next();
                        }
                    }
                    counts.put(store, n);
                    digests.put(store, ItemDigest.hex(digest));
                    total += n;
                }
                ObjectNode trailer = JSON.createObjectNode();
                trailer.put("trailer", true);
                trailer.put("items", total);
                ObjectNode per = trailer.putObject("stores");
                counts.forEach((s, n) -> per.putObject(s).put("items", n).put("digest", digests.get(s)));
                line(w, trailer);
            }
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(partial);
            throw new JobException("cannot write the export " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(partial);
            throw e;
        }
        return new Contents(counts, digests);
    }

    /**
     * Checks {@code file} from end to end without writing anything: the header, every line, and
     * the trailer's counts and digests against the items. Returns what it holds.
     *
     * @throws JobException naming the line for anything wrong (not an export, another version,
     *                      a malformed line, truncated, counts or digests that differ)
     */
    public static Contents check(Path file) {
        Map<String, Long> counts = new LinkedHashMap<>();
        Map<String, Long> sums = new LinkedHashMap<>();
        try (Lines lines = Lines.open(file)) {
            JsonNode trailer = null;
            while (lines.hasNext()) {
                JsonNode n = lines.next();
                if (trailer != null) {
                    throw lines.error("content after the trailer");
                }
                if (n.path("trailer").asBoolean(false)) {
                    trailer = n;
                    continue;
                }
                String store = text(lines, n, "store");
                StoredItem item = parseItem(lines, n);
                counts.merge(store, 1L, Long::sum);
                sums.merge(store, ItemDigest.of(item), Long::sum);
            }
            if (trailer == null) {
                throw new JobException(file + " has no trailer: the export is truncated (or still being written); "
                        + "export again");
            }
            long total = counts.values().stream().mapToLong(Long::longValue).sum();
            if (trailer.path("items").asLong(-1) != total) {
                throw new JobException(file + ": the trailer counts " + trailer.path("items") + " items, the file holds "
                        + total + ": the file was altered or damaged");
            }
            Map<String, String> digests = new LinkedHashMap<>();
            JsonNode per = trailer.path("stores");
            for (Map.Entry<String, Long> e : counts.entrySet()) {
                String digest = ItemDigest.hex(sums.get(e.getKey()));
                JsonNode s = per.path(e.getKey());
                if (s.path("items").asLong(-1) != e.getValue() || !digest.equals(s.path("digest").asText())) {
                    throw new JobException(file + ": store '" + e.getKey() + "' does not match the trailer (" + e.getValue()
                            + " items, digest " + digest + "; trailer " + s + "): the file was altered or damaged");
                }
                digests.put(e.getKey(), digest);
            }
            for (Iterator<String> it = per.fieldNames(); it.hasNext(); ) {
                String s = it.next();
                if (!counts.containsKey(s) && per.path(s).path("items").asLong(-1) != 0) {
                    throw new JobException(file + ": the trailer lists store '" + s + "' with items the file lacks");
                }
                counts.putIfAbsent(s, 0L);
                digests.putIfAbsent(s, ItemDigest.hex(0));
            }
            return new Contents(counts, digests);
        }
    }

    /**
     * Checks {@code file} ({@link #check}), then imports its items into {@code target}, page by
     * page, exactly as exported; only the stores named (empty: all). Items already expired are
     * counted, not written; failures are retried when retryable, then rejected (listed in
     * {@code rejectFile} if given).
     */
    public static JobSummary importFile(Migration target, Path file, List<String> stores, ImportMode mode, int pageSize,
            Path rejectFile) {
        if (!target.capabilities().has(Capability.IMPORT)) {
            throw new JobException("the target backend '" + target.backend() + "' cannot import (no IMPORT capability)");
        }
        CopyOptions checked = CopyOptions.defaults().withPageSize(pageSize).withMode(mode);
        Contents contents = check(file);
        for (String s : stores) {
            if (!contents.items().containsKey(s)) {
                throw new JobException("store '" + s + "' is not in " + file + "; it holds " + contents.items().keySet());
            }
        }
        Map<String, StoreTally> tallies = new LinkedHashMap<>();
        try (RejectLog rejects = RejectLog.open(rejectFile); Lines lines = Lines.open(file)) {
            BatchWriter writer = new BatchWriter(target, checked.mode(), checked.retries(), rejects, new RateLimit(0));
            String current = null;
            List<StoredItem> batch = new ArrayList<>();
            while (lines.hasNext()) {
                JsonNode n = lines.next();
                if (n.path("trailer").asBoolean(false)) {
                    break;
                }
                String store = text(lines, n, "store");
                if (!stores.isEmpty() && !stores.contains(store)) {
                    continue;
                }
                if (!store.equals(current) || batch.size() == checked.pageSize()) {
                    flush(writer, current, batch, tallies);
                    current = store;
                }
                batch.add(parseItem(lines, n));
            }
            flush(writer, current, batch, tallies);
        }
        return new JobSummary(new ArrayList<>(tallies.values()), false);
    }

    private static void flush(BatchWriter writer, String store, List<StoredItem> batch, Map<String, StoreTally> tallies) {
        if (batch.isEmpty()) {
            return;
        }
        StoreTally t = writer.write(store, List.copyOf(batch));
        tallies.merge(store, t, StoreTally::plus);
        batch.clear();
    }

    /**
     * One item as a line of the export format (without the line end): what {@code polystore get}
     * and {@code query} print. It holds the item's key and payload: it is data.
     */
    public static String itemJson(String store, StoredItem item) {
        return itemLine(store, item).toString();
    }

    private static ObjectNode itemLine(String store, StoredItem item) {
        ObjectNode n = JSON.createObjectNode();
        n.put("store", store);
        n.put("pk", item.key().pk());
        n.put("sk", item.key().sk());
        n.put("version", item.version());
        if (item.expiresAt() != null) {
            n.put("expiresAt", item.expiresAt().toString());
        }
        n.put("payload", Base64.getEncoder().encodeToString(item.payload()));
        return n;
    }

    private static StoredItem parseItem(Lines lines, JsonNode n) {
        String pk = text(lines, n, "pk");
        String sk = text(lines, n, "sk");
        JsonNode v = n.get("version");
        if (v == null || !v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < 1) {
            throw lines.error("\"version\" must be an integer >= 1");
        }
        Instant expires = null;
        if (n.hasNonNull("expiresAt")) {
            try {
                expires = Instant.parse(n.get("expiresAt").asText());
            } catch (DateTimeParseException e) {
                throw lines.error("\"expiresAt\" must be an ISO-8601 instant such as 2027-01-01T00:00:00Z");
            }
        }
        byte[] payload;
        try {
            payload = Base64.getDecoder().decode(text(lines, n, "payload"));
        } catch (IllegalArgumentException e) {
            throw lines.error("\"payload\" must be base64");
        }
        return new StoredItem(Key.of(pk, sk), payload, v.asLong(), expires);
    }

    private static String text(Lines lines, JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw lines.error("\"" + field + "\" must be a string");
        }
        return v.asText();
    }

    private static void line(Writer w, JsonNode n) throws IOException {
        w.write(JSON.writeValueAsString(n));
        w.write('\n');
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the partial file is named as such; nothing relies on it
        }
    }

    /** The lines of an export after its header, parsed; errors name the file and line. */
    private static final class Lines implements AutoCloseable {
        private final Path file;
        private final BufferedReader reader;
        private long number;
        private String nextLine;

        private Lines(Path file, BufferedReader reader) {
            this.file = file;
            this.reader = reader;
        }

        static Lines open(Path file) {
            try {
                InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
                in.mark(2);
                int b1 = in.read();
                int b2 = in.read();
                in.reset();
                if (b1 == 0x1f && b2 == 0x8b) {
                    in = new GZIPInputStream(in, 1 << 16);
                }
                Lines lines = new Lines(file, new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16));
                lines.header();
                return lines;
            } catch (java.nio.file.NoSuchFileException e) {
                throw new JobException("no such file: " + file, e);
            } catch (IOException e) {
                throw new JobException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }

        private void header() {
            if (!hasNext()) {
                throw new JobException(file + " is empty: not a Polystore export");
            }
            JsonNode h = next();
            if (!FORMAT.equals(h.path("format").asText())) {
                throw new JobException(file + " is not a Polystore export (its first line has no \"format\":\"" + FORMAT
                        + "\")");
            }
            if (h.path("version").asInt(-1) != VERSION) {
                throw new JobException(file + " is a version " + h.path("version") + " export; this polystore reads "
                        + "version " + VERSION);
            }
        }

        boolean hasNext() {
            if (nextLine != null) {
                return true;
            }
            try {
                String l;
                do {
                    l = reader.readLine();
                    number++;
                } while (l != null && l.isBlank());
                nextLine = l;
                return l != null;
            } catch (IOException e) {
                throw new JobException(file + ": cannot read line " + number + " (" + e.getMessage()
                        + "): the file is damaged or truncated", e);
            }
        }

        JsonNode next() {
            if (!hasNext()) {
                throw new java.util.NoSuchElementException();
            }
            String l = nextLine;
            nextLine = null;
            try {
                JsonNode n = JSON.readTree(l);
                if (n == null || !n.isObject()) {
                    throw error("not a JSON object");
                }
                return n;
            } catch (IOException e) {
                throw error("not valid JSON");
            }
        }

        JobException error(String what) {
            return new JobException(file + ", line " + number + ": " + what);
        }

        @Override
        public void close() {
            try {
                reader.close();
            } catch (IOException ignored) {
                // read-only
            }
        }
    }
}
