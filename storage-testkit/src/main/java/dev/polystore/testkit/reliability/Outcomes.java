package dev.polystore.testkit.reliability;

import dev.polystore.BatchWriteException;
import dev.polystore.CodecException;
import dev.polystore.ConditionFailedException;
import dev.polystore.ConfigurationException;
import dev.polystore.NotFoundException;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.UnsupportedCapabilityException;
import dev.polystore.ValidationException;
import dev.polystore.testkit.KitAssertions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/** Turns what an operation did (a value, a typed failure, a hang) into a comparable string. */
final class Outcomes {
    /** The portable error kinds, as users catch them. */
    private static final List<Class<? extends StoreException>> PORTABLE = List.of(
            ConditionFailedException.class, ValidationException.class, NotFoundException.class,
            UnavailableException.class, OutcomeUnknownException.class, UnsupportedCapabilityException.class,
            ConfigurationException.class, BatchWriteException.class, CodecException.class, StoreException.class);

    private Outcomes() {
    }

    /** The exception inside future wrappers. */
    static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    /** The portable kind of a failure (its simple class name), or "non-portable ..." for anything else. */
    static String kind(Throwable t) {
        Throwable cause = unwrap(t);
        for (Class<? extends StoreException> k : PORTABLE) {
            if (k.isInstance(cause)) {
                return k.getSimpleName();
            }
        }
        return "non-portable " + cause.getClass().getName();
    }

    /**
     * Calls {@code call} and waits for its future: {@code render(value)} on success,
     * {@code "failed <Kind>"} if the future failed, {@code "threw <Kind>"} if the call threw
     * instead of returning a future, {@code "hung"} if it did not complete in the kit's timeout.
     */
    static <T> String of(Supplier<CompletableFuture<T>> call, Function<T, String> render) {
        CompletableFuture<T> future;
        try {
            future = call.get();
        } catch (RuntimeException e) {
            return "threw " + kind(e);
        }
        T value;
        try {
            value = future.get(KitAssertions.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return "failed " + kind(e.getCause());
        } catch (TimeoutException e) {
            return "hung";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        return render.apply(value);
    }

    /** Shows a string readably in one line: escapes control characters, abbreviates long ones. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        String shown = s.length() <= 48 ? s : s.substring(0, 24) + "…";
        for (int i = 0; i < shown.length(); i++) {
            char c = shown.charAt(i);
            if (c < 0x20 || c == 0x7F) {
                b.append(String.format("\\u%04X", (int) c));
            } else if (c == '"') {
                b.append("\\\"");
            } else {
                b.append(c);
            }
        }
        b.append('"');
        if (s.length() > 48) {
            b.append("(").append(s.length()).append(" chars, hash ").append(Integer.toHexString(s.hashCode())).append(")");
        }
        return b.toString();
    }
}
