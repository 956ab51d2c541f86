package dev.polystore.testkit;

import static dev.polystore.testkit.KitAssertions.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Store;
import dev.polystore.UnavailableException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The close-while-busy contract ({@code StorageContract.CloseWhileBusy}): puts and gets in
 * flight, then {@code Storage.close()}. When close returns every future must be complete
 * ({@code Storage.close()}: "finishes or fails every pending operation, then releases the
 * engine's resources"); each put that failed must say what is known (not written,
 * {@link UnavailableException}; may have been written, {@link OutcomeUnknownException}); each get
 * succeeded with the seeded value or failed with {@link UnavailableException}. For persistent
 * backends the data is read back after reopening: a successful put is there with its version and
 * value, a put reported not written is absent.
 */
final class BusyClose {
    static final int PUTS = 200;
    static final int GETS = 50;

    private BusyClose() {
    }

    /** One operation in flight at close, and its outcome once complete. */
    private record Op(String kind, Key key, String value, CompletableFuture<?> future) {
        Throwable failure() {
            try {
                future.getNow(null);
                return null;
            } catch (CompletionException e) {
                return e.getCause();
            } catch (java.util.concurrent.CancellationException e) {
                return e;
            }
        }

        String outcome() {
            Throwable t = failure();
            return t == null ? "success" : t.getClass().getSimpleName();
        }
    }

    static void run(StorageContract kit) throws Exception {
        Store<String> store = kit.strings();
        String pk = kit.pk("busy-close");
        // Seed what the gets read, which also makes the store's table ready.
        List<CompletableFuture<Item<String>>> seeds = new ArrayList<>();
        for (int i = 0; i < GETS; i++) {
            seeds.add(store.put(Item.of(pk, String.format("g%03d", i), "seed" + i)));
        }
        seeds.forEach(KitAssertions::await);

        List<Op> ops = new ArrayList<>(PUTS + GETS);
        for (int i = 0; i < PUTS; i++) {
            Key key = Key.of(pk, String.format("p%03d", i));
            String value = "v" + i;
            ops.add(new Op("put", key, value, store.put(Item.of(key, value))));
            if (i % (PUTS / GETS) == 0) {
                Key read = Key.of(pk, String.format("g%03d", i / (PUTS / GETS)));
                ops.add(new Op("get", read, "seed" + i / (PUTS / GETS), store.get(read)));
            }
        }
        int doneBeforeClose = (int) ops.stream().filter(o -> o.future().isDone()).count();
        kit.storage.close();

        List<String> pending = new ArrayList<>();
        Map<String, Integer> outcomes = new TreeMap<>();
        for (Op op : ops) {
            if (!op.future().isDone()) {
                pending.add(op.kind() + " " + op.key().sk());
            } else {
                outcomes.merge(op.kind() + " " + op.outcome(), 1, Integer::sum);
            }
        }
        String backend = kit.storage.backend();
        figure(backend, "in flight=" + ops.size() + " (puts=" + PUTS + " gets=" + GETS + ") done before close="
                + doneBeforeClose + " complete when close returned=" + (ops.size() - pending.size())
                + " outcomes=" + outcomes);
        assertEquals(List.of(), pending, pending.size() + " of " + ops.size() + " futures were still pending when "
                + "close() returned: close must finish or fail every pending operation before it returns");

        List<String> wrong = new ArrayList<>();
        for (Op op : ops) {
            Throwable failure = op.failure();
            if (op.kind().equals("get")) {
                if (failure == null) {
                    @SuppressWarnings("unchecked")
                    Optional<Item<String>> item = (Optional<Item<String>>) op.future().join();
                    if (item.isEmpty() || !item.get().value().equals(op.value())) {
                        wrong.add("get " + op.key().sk() + " in flight at close read " + item + ", not the seeded value");
                    }
                } else if (!(failure instanceof UnavailableException)) {
                    wrong.add("get " + op.key().sk() + " in flight at close failed with " + failure
                            + "; expected success or UnavailableException");
                }
            } else if (failure != null && !(failure instanceof UnavailableException)
                    && !(failure instanceof OutcomeUnknownException)) {
                wrong.add("put " + op.key().sk() + " in flight at close failed with " + failure
                        + "; expected success, UnavailableException (not written) or OutcomeUnknownException");
            }
        }
        assertEquals(List.of(), wrong, "outcomes of operations in flight at close");

        if (!kit.persistent()) {
            return;
        }
        kit.reopen();
        Store<String> reopened = kit.strings();
        Map<String, Integer> after = new TreeMap<>();
        for (Op op : ops) {
            if (!op.kind().equals("put")) {
                continue;
            }
            Optional<Item<String>> stored = await(reopened.get(op.key()));
            Throwable failure = op.failure();
            after.merge(op.outcome() + (stored.isPresent() ? " present" : " absent"), 1, Integer::sum);
            if (failure == null) {
                @SuppressWarnings("unchecked")
                Item<String> acked = ((CompletableFuture<Item<String>>) op.future()).join();
                if (stored.isEmpty() || stored.get().version() != acked.version()
                        || !stored.get().value().equals(op.value())) {
                    wrong.add("put " + op.key().sk() + " was acknowledged at version " + acked.version()
                            + " but after reopening reads " + stored);
                }
            } else if (failure instanceof UnavailableException && stored.isPresent()) {
                wrong.add("put " + op.key().sk() + " was reported not written (UnavailableException) but after "
                        + "reopening it is there: " + stored.get());
            }
        }
        figure(backend, "after reopening: puts by outcome and state=" + after + " problems=" + wrong.size());
        assertEquals(List.of(), wrong, "outcomes of puts in flight at close, checked against the data after reopening"
                + (wrong.isEmpty() ? "" : " (if this backend keeps no data across close and open by design, "
                + "override persistent() to return false)"));
    }

    /** One figure line in the build log, like the reliability suite's (grep '^\[reliability\]'). */
    private static void figure(String backend, String text) {
        System.out.println("[reliability] " + backend + " | close while busy | " + text);
        System.out.flush();
    }
}
