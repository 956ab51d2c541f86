package dev.polystore.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import dev.polystore.StoreException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Assertions on futures, shared by the contract suites. */
public final class KitAssertions {
    /** How long the kit waits for any single future before calling it hung. */
    public static final Duration TIMEOUT = Duration.ofSeconds(60);

    private KitAssertions() {
    }

    /** Waits for {@code future} and returns its value, failing the test if it failed or hung. */
    public static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("operation failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("operation did not complete within " + TIMEOUT + " (a hung future)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * Waits for {@code future} and checks it completed exceptionally with {@code type} (not
     * wrapped in anything but the usual {@code CompletionException}/{@code ExecutionException}).
     */
    public static <E extends StoreException> E awaitFailure(Class<E> type, CompletableFuture<?> future) {
        Object value;
        try {
            value = future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
            throw new AssertionError("expected the future to fail with " + type.getSimpleName() + " but it failed with "
                    + cause, cause);
        } catch (TimeoutException e) {
            throw new AssertionError("expected " + type.getSimpleName() + " but the future did not complete within "
                    + TIMEOUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        return fail("expected the future to fail with " + type.getSimpleName() + " but it completed with " + value);
    }

    /** How many keys a failure message lists at most, per kind of difference. */
    private static final int SHOWN = 10;

    /**
     * Checks that {@code actual} holds exactly {@code expected}, in order. On a difference it
     * fails with a short account (counts, the first position that differs, up to ten missing,
     * unexpected and repeated keys) instead of printing both lists whole.
     */
    public static void assertKeys(List<String> expected, List<String> actual, String what) {
        if (expected.equals(actual)) {
            return;
        }
        StringBuilder b = new StringBuilder(what).append(": expected ").append(expected.size()).append(" keys, got ")
                .append(actual.size());
        int first = 0;
        while (first < expected.size() && first < actual.size() && expected.get(first).equals(actual.get(first))) {
            first++;
        }
        b.append("; first difference at position ").append(first).append(": expected ")
                .append(first < expected.size() ? quote(expected.get(first)) : "the end").append(", got ")
                .append(first < actual.size() ? quote(actual.get(first)) : "the end");
        Set<String> want = new HashSet<>(expected);
        Set<String> got = new HashSet<>();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> repeated = new ArrayList<>();
        for (String k : actual) {
            if (!got.add(k)) {
                repeated.add(k);
            } else if (!want.contains(k)) {
                unexpected.add(k);
            }
        }
        for (String k : expected) {
            if (!got.contains(k)) {
                missing.add(k);
            }
        }
        list(b, "missing", missing);
        list(b, "unexpected", unexpected);
        list(b, "returned twice", repeated);
        if (missing.isEmpty() && unexpected.isEmpty() && repeated.isEmpty()) {
            b.append("; the same keys in another order (sort keys order by UTF-8 bytes)");
        }
        fail(b.toString());
    }

    private static void list(StringBuilder b, String kind, List<String> keys) {
        if (!keys.isEmpty()) {
            b.append("; ").append(keys.size()).append(' ').append(kind).append(": ");
            List<String> shown = new ArrayList<>();
            keys.stream().limit(SHOWN).forEach(k -> shown.add(quote(k)));
            b.append(String.join(", ", shown)).append(keys.size() > SHOWN ? ", ..." : "");
        }
    }

    private static String quote(String key) {
        return "\"" + key + "\"";
    }
}
