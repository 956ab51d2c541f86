package dev.polystore.testkit.index;

import static dev.polystore.testkit.KitAssertions.await;
import static dev.polystore.testkit.KitAssertions.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Capability;
import dev.polystore.Codec;
import dev.polystore.Condition;
import dev.polystore.Index;
import dev.polystore.IndexQuery;
import dev.polystore.IndexStatus;
import dev.polystore.Item;
import dev.polystore.Page;
import dev.polystore.Query;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.StoreException;
import dev.polystore.ValidationException;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.StorageBackend;
import dev.polystore.testkit.KitBase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Contract of the native index hook ({@link Capability#NATIVE_INDEXES},
 * {@link StorageBackend#indexAccelerator()}): declared exactly when offered; a backend with it
 * keeps no entry items (the entries are native) and answers every index query exactly like the
 * portable entries, which stay the reference: a random history of puts, moves, deletes,
 * conditional writes, transactions and expiries is applied to a store kept natively and to a store
 * kept portably (the same backend behind a layer that hides the accelerator), and every index
 * answer is compared (0 mismatches); a store whose entries change place (copied to an engine that
 * keeps them elsewhere) is rebuilt there, and going back to a place it left is refused.
 *
 * <p>Also run {@link IndexContract} on a backend with the hook: it then tests the native entries.
 * {@link #openAlso} must reach the same engine as the storage under test (override it with
 * {@link #open(dev.polystore.StorageConfig)}).
 */
public abstract class NativeIndexContract extends KitBase {

    /** Steps of the random history, 240 by default; never below 100. */
    protected int historyLength() {
        return 240;
    }

    private static final String[] STATUSES = {"open", "done", "x\u0001y", "caf\u00e9", "\uD83D\uDE00"};
    private static final String[] TAGS = {"a", "b", "c", "\u00ff"};
    private static final String[] EMAILS = {"p@x", "q@x", "r@x", "s@x"};

    private StorageBackend backend() throws Exception {
        AtomicReference<StorageBackend> seen = new AtomicReference<>();
        openAlso(b -> {
            seen.set(b);
            return b;
        });
        return seen.get();
    }

    /** A storage over the same engine whose layer hides the accelerator: indexes kept as items. */
    private Storage portable() throws Exception {
        return openAlso(b -> new ForwardingStorageBackend(b) {
        });
    }

    @Test
    @DisplayName("NATIVE_INDEXES is declared exactly when indexAccelerator() is present")
    void declaredExactlyWhenOffered() throws Exception {
        StorageBackend b = backend();
        assertEquals(b.capabilities().has(Capability.NATIVE_INDEXES), b.indexAccelerator().isPresent(),
                "backend '" + b.name() + "' declares NATIVE_INDEXES " + b.capabilities().has(Capability.NATIVE_INDEXES)
                        + " but its indexAccelerator() is " + b.indexAccelerator());
        assertEquals(b.capabilities().has(Capability.NATIVE_INDEXES),
                storage.capabilities().has(Capability.NATIVE_INDEXES));
    }

    @Test
    @DisplayName("with NATIVE_INDEXES, entries are native: no entry item copies the item, queries still find it")
    void entriesAreNotItems() throws Exception {
        assumeCapability(Capability.NATIVE_INDEXES);
        Store<Doc> docs = storage.store(tag + "nx", Doc.CODEC, Doc.OPTIONS);
        await(docs.put(Item.of(pk("a"), "0", new Doc("open", "1", List.of("t"), "a@x", "n"))));
        Store<byte[]> raw = storage.store(tag + "nx", Codec.bytes());
        assertEquals(List.of(), await(raw.query(Query.partition("~ix/byStatus/open"))).items(),
                "a backend with NATIVE_INDEXES wrote an entry item");
        assertEquals(List.of(pk("a")), pks(await(docs.index("byStatus").query("open"))));
        assertEquals(pk("a"), await(docs.index("byEmail").get("a@x")).orElseThrow().pk());

        Storage portable = portable();
        Store<Doc> kept = portable.store(tag + "px", Doc.CODEC, Doc.OPTIONS);
        await(kept.put(Item.of(pk("a"), "0", new Doc("open", "1", List.of("t"), "a@x", "n"))));
        assertEquals(1, await(portable.store(tag + "px", Codec.bytes()).query(Query.partition("~ix/byStatus/open")))
                .items().size(), "the layer hiding the accelerator keeps entries as items");
    }

    @Test
    @DisplayName("a random history gives the same index answers natively and portably (0 mismatches)")
    void randomHistoryMatchesPortable() throws Exception {
        assumeCapability(Capability.NATIVE_INDEXES);
        Store<Doc> nat = storage.store(tag + "hn", Doc.CODEC, Doc.OPTIONS);
        Storage portable = portable();
        Store<Doc> ref = portable.store(tag + "hp", Doc.CODEC, Doc.OPTIONS);
        Random random = new Random(tag.hashCode());
        int items = 10;
        List<String> mismatches = new ArrayList<>();
        int steps = Math.max(100, historyLength());
        for (int step = 0; step < steps; step++) {
            String pk = pk("i" + random.nextInt(items));
            int kind = random.nextInt(10);
            Doc doc = randomDoc(random);
            Instant expiry = random.nextInt(6) == 0 ? clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).plusSeconds(1 + random.nextInt(3)) : null;
            Item<Doc> item = expiry == null ? Item.of(pk, "0", doc) : Item.of(pk, "0", doc).withExpiry(expiry);
            String a;
            String b;
            switch (kind) {
                case 0, 1, 2, 3 -> {
                    a = outcome(nat.put(item));
                    b = outcome(ref.put(item));
                }
                case 4 -> {
                    a = outcome(nat.put(item, Condition.ifAbsent()));
                    b = outcome(ref.put(item, Condition.ifAbsent()));
                }
                case 5 -> {
                    long v = 1 + random.nextInt(3);
                    a = outcome(nat.put(item, Condition.ifVersion(v)));
                    b = outcome(ref.put(item, Condition.ifVersion(v)));
                }
                case 6, 7 -> {
                    a = outcome(nat.delete(pk, "0"));
                    b = outcome(ref.delete(pk, "0"));
                }
                case 8 -> {
                    String other = pk("i" + random.nextInt(items));
                    Doc second = randomDoc(random);
                    a = outcome(storage.transaction().put(nat, item).put(nat, Item.of(other, "1", second)).commit());
                    b = outcome(portable.transaction().put(ref, item).put(ref, Item.of(other, "1", second)).commit());
                }
                default -> {
                    clock.advance(Duration.ofSeconds(1));
                    a = "tick";
                    b = "tick";
                }
            }
            if (!a.equals(b)) {
                mismatches.add("step " + step + ": native " + a + ", portable " + b);
            }
            boolean everything = step % 24 == 23 || step == steps - 1;
            compare(step, nat, ref, doc, everything, mismatches);
        }
        assertEquals(List.of(), mismatches, mismatches.size() + " mismatches between native and portable entries");
    }

    @Test
    @DisplayName("a store whose entries change place is rebuilt there; going back to a place it left is refused")
    void changeOfPlaceRebuilds() throws Exception {
        assumeCapability(Capability.NATIVE_INDEXES);
        String table = tag + "mv";
        Store<Doc> nat = storage.store(table, Doc.CODEC, Doc.OPTIONS);
        await(nat.put(Item.of(pk("a"), "0", new Doc("open", "1", List.of(), null, ""))));
        assertEquals(1, await(nat.index("byStatus").query("open")).size());

        Storage portable = portable();
        Store<Doc> there = portable.store(table, Doc.CODEC, Doc.OPTIONS);
        Index<Doc> byStatus = there.index("byStatus");
        assertEquals(IndexStatus.State.BUILDING, await(byStatus.status()).state(),
                "entries kept natively are not items: the index must be built where it is kept as items");
        await(byStatus.build());
        assertEquals(List.of(pk("a")), pks(await(byStatus.query("open"))));

        reopen();
        Store<Doc> back = storage.store(table, Doc.CODEC, Doc.OPTIONS);
        awaitFailure(ValidationException.class, back.index("byStatus").query("open"));
    }

    private static Doc randomDoc(Random random) {
        String status = random.nextInt(6) == 0 ? null : STATUSES[random.nextInt(STATUSES.length)];
        String rank = random.nextInt(8) == 0 ? null : Integer.toString(random.nextInt(5));
        List<String> tags = new ArrayList<>();
        for (int t = random.nextInt(3); t > 0; t--) {
            tags.add(TAGS[random.nextInt(TAGS.length)]);
        }
        String email = random.nextInt(3) == 0 ? null : EMAILS[random.nextInt(EMAILS.length)];
        return new Doc(status, rank, tags, email, "n" + random.nextInt(1000));
    }

    /** The outcome of a write, as a comparable string: the error type, or the versions written. */
    private static String outcome(java.util.concurrent.CompletableFuture<?> f) {
        try {
            Object r = f.join();
            return r instanceof Item<?> i ? "ok v" + i.version() : "ok " + r;
        } catch (java.util.concurrent.CompletionException e) {
            Throwable c = e.getCause();
            if (c instanceof StoreException) {
                return c.getClass().getSimpleName();
            }
            throw e;
        }
    }

    private void compare(int step, Store<Doc> nat, Store<Doc> ref, Doc touched, boolean everything,
                         List<String> mismatches) {
        List<String[]> queries = new ArrayList<>();
        for (String s : everything ? STATUSES : new String[] {touched.status()}) {
            if (s != null) {
                queries.add(new String[] {"byStatus", s});
            }
        }
        for (String t : everything ? TAGS : touched.tags().toArray(String[]::new)) {
            queries.add(new String[] {"byTag", t});
        }
        for (String e : everything ? EMAILS : new String[] {touched.email()}) {
            if (e != null) {
                queries.add(new String[] {"byEmail", e});
            }
        }
        for (String[] q : queries) {
            for (int pageSize : everything ? new int[] {1, 3, 100} : new int[] {2}) {
                for (boolean descending : new boolean[] {false, true}) {
                    IndexQuery query = IndexQuery.key(q[1]).limit(pageSize);
                    query = descending ? query.descending() : query;
                    List<String> a = read(nat.index(q[0]), query);
                    List<String> b = read(ref.index(q[0]), query);
                    if (!a.equals(b)) {
                        mismatches.add("step " + step + ", " + q[0] + "/" + q[1] + " pages of " + pageSize
                                + (descending ? " descending" : "") + ": native " + a + ", portable " + b);
                    }
                }
            }
            if (everything && q[0].equals("byStatus")) {
                IndexQuery range = IndexQuery.key(q[1]).between("1", "3").limit(2);
                List<String> a = read(nat.index(q[0]), range);
                List<String> b = read(ref.index(q[0]), range);
                if (!a.equals(b)) {
                    mismatches.add("step " + step + ", byStatus/" + q[1] + " ranks 1..3: native " + a + ", portable " + b);
                }
            }
            if (q[0].equals("byEmail")) {
                String a = await(nat.index(q[0]).get(q[1])).map(NativeIndexContract::describe).orElse("none");
                String b = await(ref.index(q[0]).get(q[1])).map(NativeIndexContract::describe).orElse("none");
                if (!a.equals(b)) {
                    mismatches.add("step " + step + ", get byEmail/" + q[1] + ": native " + a + ", portable " + b);
                }
            }
        }
    }

    private static List<String> read(Index<Doc> index, IndexQuery query) {
        List<String> out = new ArrayList<>();
        IndexQuery q = query;
        while (true) {
            Page<Doc> page = await(index.query(q));
            page.items().forEach(i -> out.add(describe(i)));
            if (page.cursor().isEmpty()) {
                return out;
            }
            q = q.after(page.cursor().get());
        }
    }

    private static String describe(Item<Doc> i) {
        return i.key() + " v" + i.version() + " " + i.value() + i.expiresAt().map(e -> " expires " + e).orElse("");
    }

    private static List<String> pks(List<Item<Doc>> items) {
        List<String> out = new ArrayList<>();
        items.forEach(i -> out.add(i.pk()));
        return out;
    }
}
