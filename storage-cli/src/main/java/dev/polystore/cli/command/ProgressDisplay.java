package dev.polystore.cli.command;

import dev.polystore.cli.Copier;
import dev.polystore.cli.StoreTally;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows a long command's progress, per store: items (of the engine's estimate, when it has one),
 * bytes, rate, ETA, and the items of each segment. On a terminal a live bar (me.tongfei
 * progressbar, redrawn in place on the command's error writer, as wide as picocli finds the
 * terminal); otherwise plain lines on the command's error writer, at most
 * one per interval (CI logs); or nothing. Never shows a key or a value. Thread-safe: the copying
 * threads call it.
 */
final class ProgressDisplay implements Copier.Listener, AutoCloseable {
    private static final int SEGMENTS_SHOWN = 8;

    private final ProgressOptions.Mode mode;
    private final PrintWriter err;
    private final long intervalNanos;

    private volatile String store;
    private long estimated;
    private long startedNanos;
    private long baseItems;
    private final AtomicLong items = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong lastLine = new AtomicLong();
    private AtomicLongArray perSegment = new AtomicLongArray(0);
    private AtomicLongArray segmentDone = new AtomicLongArray(0);
    private ProgressBar bar;
    private boolean wide;

    ProgressDisplay(ProgressOptions.Mode mode, PrintWriter err, long intervalMillis) {
        this.mode = mode;
        this.err = err;
        this.intervalNanos = intervalMillis * 1_000_000L;
    }

    @Override
    public synchronized void storeStarted(String name, int segments, long estimatedItems, StoreTally done) {
        closeBar();
        store = name;
        estimated = estimatedItems;
        baseItems = done.read();
        items.set(done.read());
        bytes.set(done.bytes());
        perSegment = new AtomicLongArray(segments);
        segmentDone = new AtomicLongArray(segments);
        startedNanos = System.nanoTime();
        lastLine.set(startedNanos);
        if (mode == ProgressOptions.Mode.bar) {
            WriterConsumer consumer = new WriterConsumer(err);
            wide = consumer.getMaxRenderedLength() >= 150;
            bar = new ProgressBarBuilder().setTaskName(name).setInitialMax(estimatedItems > 0 ? estimatedItems : -1)
                    .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUnit(" items", 1)
                    .showSpeed(new java.text.DecimalFormat("#,##0"))
                    .setUpdateIntervalMillis(500).startsFrom(done.read(), Duration.ZERO)
                    .setConsumer(consumer).build();
        }
    }

    @Override
    public void page(String name, int segment, StoreTally page) {
        if (store == null) {
            synchronized (this) {
                if (store == null) {
                    store = name; // told of pages without storeStarted
                    startedNanos = System.nanoTime();
                }
            }
        }
        long n = items.addAndGet(page.read());
        bytes.addAndGet(page.bytes());
        AtomicLongArray seg = perSegment;
        if (segment < seg.length()) {
            seg.addAndGet(segment, page.read());
        }
        switch (mode) {
            case bar -> {
                ProgressBar b;
                synchronized (this) {
                    b = bar;
                }
                if (b != null) {
                    if (estimated > 0 && n > b.getMax() && !b.isIndefinite()) {
                        b.maxHint(n); // the estimate was low
                    }
                    b.stepTo(n);
                    b.setExtraMessage(barMessage());
                }
            }
            case lines -> {
                long now = System.nanoTime();
                long prev = lastLine.get();
                if (now - prev >= intervalNanos && lastLine.compareAndSet(prev, now)) {
                    line(now);
                }
            }
            default -> {
            }
        }
    }

    @Override
    public void segmentDone(String name, int segment) {
        AtomicLongArray done = segmentDone;
        if (segment < done.length()) {
            done.set(segment, 1);
        }
    }

    @Override
    public synchronized void storeDone(StoreTally total) {
        if (mode == ProgressOptions.Mode.lines) {
            line(System.nanoTime());
        }
        closeBar();
    }

    @Override
    public synchronized void close() {
        closeBar();
    }

    private void closeBar() {
        if (bar != null) {
            bar.stepTo(items.get());
            bar.setExtraMessage(barMessage());
            bar.close();
            bar = null;
        }
    }

    private void line(long now) {
        long n = items.get();
        double secs = Math.max(1e-3, (now - startedNanos) / 1e9);
        double rate = (n - baseItems) / secs;
        StringBuilder sb = new StringBuilder("polystore: ").append(store).append(": ");
        sb.append(String.format("%,d", n));
        if (estimated > 0) {
            sb.append(String.format(" of ~%,d items (%d%%)", estimated, Math.min(100, n * 100 / estimated)));
        } else {
            sb.append(" items");
        }
        sb.append(", ").append(humanBytes(bytes.get()));
        sb.append(String.format(", %,.0f items/s", rate));
        if (estimated > n && rate > 0) {
            sb.append(", ETA ").append(eta((long) ((estimated - n) / rate)));
        }
        sb.append("; ").append(segments(true));
        synchronized (err) {
            err.println(sb);
            err.flush();
        }
    }

    /** Bytes and segments beside the bar; each segment's items only where the terminal leaves room for the bar. */
    private String barMessage() {
        return " " + humanBytes(bytes.get()) + ", " + segments(wide);
    }

    private String segments(boolean counts) {
        AtomicLongArray seg = perSegment;
        AtomicLongArray done = segmentDone;
        int finished = 0;
        for (int i = 0; i < done.length(); i++) {
            finished += (int) done.get(i);
        }
        StringBuilder sb = new StringBuilder("segments done ").append(finished).append('/').append(seg.length());
        if (counts && seg.length() <= SEGMENTS_SHOWN) {
            sb.append(" [");
            for (int i = 0; i < seg.length(); i++) {
                sb.append(i == 0 ? "" : " ");
                if (mode == ProgressOptions.Mode.lines) {
                    sb.append('s').append(i).append(' ').append(String.format("%,d", seg.get(i)))
                            .append(done.get(i) == 1 ? " done" : "");
                } else {
                    sb.append(seg.get(i)).append(done.get(i) == 1 ? "\u2713" : ""); // a check mark when done
                }
            }
            sb.append(']');
        }
        return sb.toString();
    }

    static String humanBytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.1f %s", v, units[u]);
    }

    private static String eta(long seconds) {
        return seconds >= 3600 ? String.format("%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
                : String.format("%d:%02d", seconds / 60, seconds % 60);
    }

    /** Draws the bar on the command's error writer: each frame over the last one (a carriage return), as wide as the terminal. */
    static final class WriterConsumer implements ProgressBarConsumer {
        private final PrintWriter out;
        private final int width;

        WriterConsumer(PrintWriter out) {
            this.out = out;
            // picocli's terminal width detection (its usage help's auto width), 80 when it finds none
            int w = new picocli.CommandLine.Model.UsageMessageSpec().autoWidth(true).width();
            this.width = Math.max(40, w) - 1;
        }

        @Override
        public int getMaxRenderedLength() {
            return width;
        }

        @Override
        public void accept(String frame) {
            synchronized (out) {
                out.print('\r');
                out.print(frame);
                out.flush();
            }
        }

        @Override
        public void close() {
            synchronized (out) {
                out.println();
                out.flush();
            }
        }
    }
}
