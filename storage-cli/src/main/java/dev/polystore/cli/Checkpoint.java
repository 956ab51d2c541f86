package dev.polystore.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * One store's copy checkpoint: for each segment, the source position to resume from (or done)
 * and the counts so far. Saved (write to a temporary file, then an atomic rename) only after the
 * target acknowledged the page it covers, so a resumed copy never skips an item; at worst it
 * writes one page again, which an import tolerates. Positions hold keys: the file is data.
 * Thread-safe.
 */
final class Checkpoint {
    private static final String DONE = "done";
    private final Path file;
    private final Properties props;

    private Checkpoint(Path file, Properties props) {
        this.file = file;
        this.props = props;
    }

    /** The checkpoint at {@code file} for job {@code job}, or null if there is none. */
    static Checkpoint load(Path file, String job, int segments) {
        if (!Files.exists(file)) {
            return null;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException e) {
            throw new JobException("cannot read the checkpoint " + file + " (" + e.getMessage()
                    + "): fix it, or pass --restart to discard it and copy from the start", e);
        }
        if (!job.equals(p.getProperty("job"))) {
            throw new JobException("the checkpoint " + file + " belongs to another copy (" + p.getProperty("job")
                    + ", this is " + job + "): use another --checkpoint-dir, or pass --restart to discard it");
        }
        String n = p.getProperty("segments");
        if (!String.valueOf(segments).equals(n)) {
            throw new JobException("the checkpoint " + file + " was made with " + n + " segments, not " + segments
                    + ": pass --segments " + n + " to resume it, or --restart to discard it");
        }
        return new Checkpoint(file, p);
    }

    static Checkpoint create(Path file, String job, java.util.List<String> starts, long estimatedItems) {
        Properties p = new Properties();
        p.setProperty("estimated", String.valueOf(estimatedItems));
        p.setProperty("job", job);
        p.setProperty("segments", String.valueOf(starts.size()));
        for (int i = 0; i < starts.size(); i++) {
            p.setProperty("position." + i, starts.get(i));
        }
        Checkpoint c = new Checkpoint(file, p);
        c.save();
        return c;
    }

    static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new JobException("cannot delete the checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /** The source's estimate of the store's items when the copy was planned, or -1. */
    synchronized long estimatedItems() {
        try {
            return Long.parseLong(props.getProperty("estimated", "-1"));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    synchronized String position(int segment) {
        String p = props.getProperty("position." + segment);
        return DONE.equals(p) ? null : p;
    }

    synchronized StoreTally tally(int segment, String store) {
        String t = props.getProperty("tally." + segment);
        if (t == null) {
            return StoreTally.empty(store);
        }
        String[] f = t.split(",");
        return new StoreTally(store, Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]),
                Long.parseLong(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6]));
    }

    /** Records that {@code segment} resumes at {@code next} (null: finished) with {@code tally} so far. */
    synchronized void advance(int segment, String next, StoreTally tally) {
        props.setProperty("position." + segment, next == null ? DONE : next);
        props.setProperty("tally." + segment, tally.read() + "," + tally.written() + "," + tally.kept() + ","
                + tally.expired() + "," + tally.rejected() + "," + tally.expiredAtSource() + "," + tally.bytes());
        save();
    }

    private void save() {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            props.store(bytes, "polystore copy checkpoint");
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE,
                    java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes.toByteArray());
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new JobException("cannot write the checkpoint " + file + ": " + e.getMessage(), e);
        }
    }
}
