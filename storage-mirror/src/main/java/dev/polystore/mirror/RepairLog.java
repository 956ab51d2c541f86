package dev.polystore.mirror;

import dev.polystore.Key;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable set of keys whose secondary write failed: a text file, one key a line
 * ({@code <store> TAB <base64url pk> TAB <base64url sk>}) after the header line
 * {@code polystore-mirror-repair 1}. A key is appended and fsynced before the write it belongs
 * to is acknowledged; the file is rewritten (write, fsync, rename) without the keys repaired.
 * Holds keys only, never payloads: a repair reads the primary's current item. Thread-safe.
 */
final class RepairLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RepairLog.class);
    static final String HEADER = "polystore-mirror-repair 1";

    /** A key of a store. */
    record Entry(String table, Key key) {
    }

    private final Path file;
    private final Set<Entry> pending = new LinkedHashSet<>();
    private FileChannel channel;

    private RepairLog(Path file) {
        this.file = file;
    }

    /** Opens (creating it and its folders if missing) the log at {@code file}, reading its keys. */
    static RepairLog open(Path file) throws IOException {
        RepairLog log = new RepairLog(file.toAbsolutePath());
        Path parent = log.file.getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (Files.exists(log.file)) {
            List<String> lines = Files.readAllLines(log.file, StandardCharsets.UTF_8);
            if (!lines.isEmpty() && !lines.get(0).equals(HEADER)) {
                throw new IOException(log.file + " is not a mirror repair log (its first line is not '" + HEADER + "')");
            }
            int torn = 0;
            for (int i = 1; i < lines.size(); i++) {
                Entry e = parse(lines.get(i));
                if (e == null) {
                    torn++;
                } else {
                    log.pending.add(e);
                }
            }
            if (torn > 0) {
                // Only the last line can be torn (a crash during an append, before the write was acknowledged).
                LOG.warn("Mirror repair log {}: {} unreadable line(s) skipped", log.file, torn);
            }
        }
        log.rewrite();
        return log;
    }

    /** Records {@code entries} durably; when it returns normally they survive a crash. */
    synchronized void add(List<Entry> entries) throws IOException {
        if (channel == null) {
            throw new IOException("the repair log " + file + " is closed");
        }
        StringBuilder text = new StringBuilder();
        for (Entry e : entries) {
            if (pending.add(e)) {
                text.append(format(e)).append('\n');
            }
        }
        if (text.length() == 0) {
            return;
        }
        ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
        channel.force(false);
    }

    /** The keys waiting for repair, oldest first. */
    synchronized List<Entry> pending() {
        return new ArrayList<>(pending);
    }

    synchronized int size() {
        return pending.size();
    }

    /** Drops {@code repaired} from the log, rewriting the file. */
    synchronized void remove(List<Entry> repaired) throws IOException {
        if (repaired.isEmpty()) {
            return;
        }
        repaired.forEach(pending::remove);
        rewrite();
    }

    Path file() {
        return file;
    }

    private void rewrite() throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        StringBuilder text = new StringBuilder(HEADER).append('\n');
        for (Entry e : pending) {
            text.append(format(e)).append('\n');
        }
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
            out.force(true);
        }
        if (channel != null) {
            channel.close();
            channel = null;
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }

    private static String format(Entry e) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return e.table() + '\t' + b64.encodeToString(e.key().pk().getBytes(StandardCharsets.UTF_8)) + '\t'
                + b64.encodeToString(e.key().sk().getBytes(StandardCharsets.UTF_8));
    }

    private static Entry parse(String line) {
        String[] parts = line.split("\t", -1);
        if (parts.length != 3 || parts[0].isEmpty()) {
            return null;
        }
        try {
            Base64.Decoder b64 = Base64.getUrlDecoder();
            return new Entry(parts[0], Key.of(new String(b64.decode(parts[1]), StandardCharsets.UTF_8),
                    new String(b64.decode(parts[2]), StandardCharsets.UTF_8)));
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public synchronized void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                channel = null;
            }
        }
    }
}
