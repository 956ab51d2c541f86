package dev.polystore.testkit.reliability;

import static dev.polystore.testkit.reliability.KeySpace.EMOJI;
import static dev.polystore.testkit.reliability.KeySpace.cp;
import static dev.polystore.testkit.reliability.KeySpace.maxKey;
import static dev.polystore.testkit.reliability.KeySpace.overByOne;
import static dev.polystore.testkit.reliability.KeySpace.utf8;

import dev.polystore.Capability;
import dev.polystore.Codec;
import dev.polystore.Condition;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Limits;
import dev.polystore.Query;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.Transaction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Every rule of DESIGN.md "Portability rules" (and the API's argument rules) probed at and
 * just past its limit, through every operation that takes the input: the same result kind is
 * expected on every backend, and afterwards every partition touched is read back to prove
 * that rejected calls wrote nothing, not even part of a batch or transaction.
 */
final class BadInputCorpus {
    private final int layerOverhead;
    static final String OK = "ok";
    static final String REJECTED = "failed ValidationException";
    static final String CONDITION_FAILED = "failed ConditionFailedException";
    static final String UNSUPPORTED = "failed UnsupportedCapabilityException";
    static final String THROWN = "threw ValidationException";

    private final Storage storage;
    private final Store<String> s;
    private final Store<byte[]> bytes;
    private final String base;
    private final boolean batch;
    private final boolean tx;
    private final boolean expiry;

    private final List<String> table = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final Map<String, Integer> perRule = new LinkedHashMap<>();
    private int probes;
    private int accepted;
    private int rejected;
    private int checks;
    private int partialWrites;

    BadInputCorpus(Storage storage, String pkBase) {
        this(storage, pkBase, 0);
    }

    /** @param layerOverhead bytes a layer under test adds to each payload (see {@code KitBase.layerOverheadBytes}) */
    BadInputCorpus(Storage storage, String pkBase, int layerOverhead) {
        this.layerOverhead = layerOverhead;
        this.storage = storage;
        this.s = storage.store("kit", Codec.utf8());
        this.bytes = storage.store("kit", Codec.bytes());
        this.base = pkBase;
        this.batch = storage.capabilities().has(Capability.BATCH);
        this.tx = storage.capabilities().has(Capability.TRANSACTIONS);
        this.expiry = storage.capabilities().has(Capability.EXPIRY);
    }

    List<String> failures() {
        return failures;
    }

    /** Every probe with what it expected and got, for the failure message. */
    List<String> table() {
        return table;
    }

    void figures(Figures f) {
        f.put("rules", perRule.size()).put("probes", probes).put("accepted", accepted).put("rejected", rejected)
                .put("read-back checks", checks).put("mismatches", failures.size() - partialWrites)
                .put("partial writes", partialWrites);
    }

    // ------------------------------------------------------------------ probing

    private void probe(String rule, String what, String expected, Supplier<CompletableFuture<?>> call) {
        record(rule, what, expected, Outcomes.of(call::get, v -> OK));
    }

    private <T> void probeResult(String rule, String what, String expected, Supplier<CompletableFuture<T>> call,
                                 Function<T, String> render) {
        record(rule, what, expected, Outcomes.of(call, render));
    }

    /** A synchronous argument check (query limits, condition versions, store names). */
    private void probeThrows(String rule, String what, String expected, Runnable call) {
        String got;
        try {
            call.run();
            got = OK;
        } catch (RuntimeException e) {
            got = "threw " + Outcomes.kind(e);
        }
        record(rule, what, expected, got);
    }

    private void record(String rule, String what, String expected, String got) {
        probes++;
        perRule.merge(rule, 1, Integer::sum);
        if (got.equals(OK) || !got.startsWith("failed ") && !got.startsWith("threw ")) {
            accepted++;
        } else {
            rejected++;
        }
        String line = (got.equals(expected) ? "  ok   " : "  FAIL ") + rule + " | " + what + " | expected " + expected
                + (got.equals(expected) ? "" : ", got " + got);
        table.add(line);
        if (!got.equals(expected)) {
            failures.add(rule + ": " + what + ": expected " + expected + ", got " + got);
        }
    }

    /** A read-back after the probes: {@code actual} must equal {@code expected}. */
    private void readBack(String what, String expected, String actual) {
        checks++;
        if (!expected.equals(actual)) {
            partialWrites++;
            String line = "read back " + what + ": expected " + expected + ", got " + actual;
            table.add("  FAIL " + line);
            failures.add(line);
        }
    }

    private String sortKeys(Store<?> store, String pk) {
        return Outcomes.of(() -> store.query(pk, ""),
                items -> items.stream().map(i -> KeySpace.skLabel(i.sk()) + " v" + i.version()).collect(Collectors.toList())
                        .toString());
    }

    private String label(String sk) {
        return KeySpace.skLabel(sk);
    }

    private Transaction txOf(Function<Transaction, Transaction> build) {
        return build.apply(storage.transaction());
    }

    // ------------------------------------------------------------------ the corpus

    void run() {
        String p = base + "bad";
        keysNonEmpty(p);
        String[] pkKeys = partitionKeyLength();
        String[] skKeys = sortKeyLength(p);
        String[] scalarKeys = scalarValues(p);
        String[] sizeKeys = itemSize();
        sortOrder();
        literalPrefixes();
        errorKinds(p, skKeys[2]);
        apiArguments(p);
        transactionLimits(p);

        // Nothing rejected was written: partition p holds exactly the accepted keys, each written once.
        List<String> all = new ArrayList<>(Arrays.asList(skKeys));
        all.addAll(Arrays.asList(scalarKeys));
        all.sort(dev.polystore.spi.SortKeys::compare);
        List<String> sorted = new ArrayList<>();
        all.forEach(sk -> sorted.add(label(sk) + " v1"));
        readBack("partition 'bad' (every key probe)", sorted.toString(), sortKeys(s, p));
        readBack("partition of the 2048-byte key", "[" + label("k") + " v1]", sortKeys(s, pkKeys[0]));
        readBack("partition of the 2048-byte key (2-byte characters)", "[" + label("k") + " v1]", sortKeys(s, pkKeys[1]));
        readBack("partition a truncated over-long key would land in", "[]", sortKeys(s, pkKeys[2]));
        readBack("partition 'bad-size'", sizeKeys[0], sortKeys(bytes, base + "bad-size"));
        readBack("the maximal item after a rejected over-size overwrite", sizeKeys[1],
                Outcomes.of(() -> bytes.get(base + "bad-size", "big"),
                        o -> o.map(i -> "v" + i.version() + " " + Arrays.hashCode(i.value())).orElse("absent")));
    }

    private void keysNonEmpty(String p) {
        String rule = "keys are non-empty";
        probe(rule, "put with empty sort key", REJECTED, () -> s.put(Item.of(p, "", "v")));
        probe(rule, "put with empty partition key", REJECTED, () -> s.put(Item.of("", "x", "v")));
        probe(rule, "put if absent with empty sort key", REJECTED, () -> s.putIfAbsent(Item.of(p, "", "v")));
        probe(rule, "get with empty sort key", REJECTED, () -> s.get(p, ""));
        probe(rule, "get with empty partition key", REJECTED, () -> s.get("", "x"));
        probe(rule, "get with null partition key", REJECTED, () -> s.get(null, "x"));
        probe(rule, "get with null sort key", REJECTED, () -> s.get(p, null));
        probe(rule, "delete with empty sort key", REJECTED, () -> s.delete(p, ""));
        probe(rule, "delete if exists with empty partition key", REJECTED, () -> s.delete("", "x", Condition.ifExists()));
        probe(rule, "paged query of empty partition key", REJECTED, () -> s.query(Query.partition("")));
        probe(rule, "query(pk, prefix) of empty partition key", REJECTED, () -> s.query("", ""));
        if (batch) {
            probe(rule, "batch put of a valid item and one with empty sort key", REJECTED,
                    () -> s.batchPut(List.of(Item.of(p, "companion-batch-1", "v"), Item.of(p, "", "v"))));
            probe(rule, "batch get with empty sort key", REJECTED, () -> s.batchGet(List.of(Key.of(p, ""))));
            probe(rule, "batch delete with empty partition key", REJECTED, () -> s.batchDelete(List.of(Key.of("", "x"))));
        }
        if (tx) {
            probe(rule, "transaction of a valid put and one with empty sort key", REJECTED, () -> txOf(t -> t
                    .put(s, Item.of(p, "companion-tx-1", "v")).put(s, Item.of(p, "", "v"))).commit());
            probe(rule, "transaction check with empty sort key", REJECTED,
                    () -> txOf(t -> t.check(s, Key.of(p, ""), Condition.ifExists())).commit());
        }
    }

    /** @return the two maximal partition keys, and where a truncated over-long one would land */
    private String[] partitionKeyLength() {
        String rule = "partition key <= 2048 UTF-8 bytes";
        String max = maxKey(base + "bad-pk/", EMOJI, Limits.MAX_PK_BYTES);
        String max2 = maxKey(base + "bad-pk2/", "\u00E9", Limits.MAX_PK_BYTES);
        String over = overByOne(max);
        String over2 = overByOne(max2);
        String truncated = max.substring(0, max.length() - 1);
        check(utf8(max) == Limits.MAX_PK_BYTES && utf8(over) == Limits.MAX_PK_BYTES + 1, "partition key lengths");
        probe(rule, "put at 2048 bytes (4-byte characters)", OK, () -> s.put(Item.of(max, "k", "v")));
        probe(rule, "put at 2048 bytes (2-byte characters)", OK, () -> s.put(Item.of(max2, "k", "v")));
        probeResult(rule, "get at 2048 bytes", "v", () -> s.get(max, "k"), o -> o.map(Item::value).orElse("absent"));
        probeResult(rule, "paged query at 2048 bytes", "[k]", () -> s.query(Query.partition(max)),
                page -> page.items().stream().map(Item::sk).collect(Collectors.toList()).toString());
        probe(rule, "put at 2049 bytes (same characters, last one 2 bytes)", REJECTED, () -> s.put(Item.of(over, "k", "v")));
        probe(rule, "put at 2049 bytes (2-byte characters)", REJECTED, () -> s.put(Item.of(over2, "k", "v")));
        probe(rule, "put if absent at 2049 bytes", REJECTED, () -> s.putIfAbsent(Item.of(over, "k", "v")));
        probe(rule, "put if version at 2049 bytes", REJECTED, () -> s.put(Item.of(over, "k", "v"), Condition.ifVersion(1)));
        probe(rule, "get at 2049 bytes", REJECTED, () -> s.get(over, "k"));
        probe(rule, "delete at 2049 bytes", REJECTED, () -> s.delete(over, "k"));
        probe(rule, "paged query at 2049 bytes", REJECTED, () -> s.query(Query.partition(over)));
        probe(rule, "query(pk, prefix) at 2049 bytes", REJECTED, () -> s.query(over, ""));
        if (batch) {
            probe(rule, "batch put of a valid item and one at 2049 bytes", REJECTED,
                    () -> s.batchPut(List.of(Item.of(base + "bad", "companion-batch-2", "v"), Item.of(over, "k", "v"))));
            probe(rule, "batch get at 2049 bytes", REJECTED, () -> s.batchGet(List.of(Key.of(over, "k"))));
            probe(rule, "batch delete at 2049 bytes", REJECTED, () -> s.batchDelete(List.of(Key.of(over, "k"))));
        }
        if (tx) {
            probe(rule, "transaction of a valid put and one at 2049 bytes", REJECTED, () -> txOf(t -> t
                    .put(s, Item.of(base + "bad", "companion-tx-2", "v")).put(s, Item.of(over, "k", "v"))).commit());
        }
        return new String[] {max, max2, truncated};
    }

    /** @return the sort keys accepted (each at exactly 1024 bytes) */
    private String[] sortKeyLength(String p) {
        String rule = "sort key <= 1024 UTF-8 bytes";
        String max4 = maxKey("u", EMOJI, Limits.MAX_SK_BYTES);
        String max3 = maxKey("s", "\u20AC", Limits.MAX_SK_BYTES);
        String max1 = "t".repeat(Limits.MAX_SK_BYTES);
        String over4 = overByOne(max4);
        String over3 = overByOne(max3);
        String over1 = "t".repeat(Limits.MAX_SK_BYTES + 1);
        check(utf8(max4) == 1024 && utf8(max3) == 1024 && utf8(over4) == 1025 && utf8(over3) == 1025, "sort key lengths");
        probe(rule, "put at 1024 bytes (4-byte characters)", OK, () -> s.put(Item.of(p, max4, "v")));
        probe(rule, "put at 1024 bytes (3-byte characters)", OK, () -> s.put(Item.of(p, max3, "v")));
        probe(rule, "put at 1024 bytes (ASCII)", OK, () -> s.put(Item.of(p, max1, "v")));
        probeResult(rule, "prefix query with a 1024-byte prefix", "[" + label(max4) + "]", () -> s.query(p, max4),
                items -> items.stream().map(i -> label(i.sk())).collect(Collectors.toList()).toString());
        probe(rule, "between with 1024-byte bounds", OK, () -> s.query(Query.partition(p).between(max3, max4)));
        probe(rule, "put at 1025 bytes (4-byte characters, last one 2 bytes)", REJECTED, () -> s.put(Item.of(p, over4, "v")));
        probe(rule, "put at 1025 bytes (3-byte characters, last one 2 bytes)", REJECTED, () -> s.put(Item.of(p, over3, "v")));
        probe(rule, "put at 1025 bytes (ASCII)", REJECTED, () -> s.put(Item.of(p, over1, "v")));
        probe(rule, "put if absent at 1025 bytes", REJECTED, () -> s.putIfAbsent(Item.of(p, over4, "v")));
        probe(rule, "put if exists at 1025 bytes", REJECTED, () -> s.put(Item.of(p, over3, "v"), Condition.ifExists()));
        probe(rule, "get at 1025 bytes", REJECTED, () -> s.get(p, over4));
        probe(rule, "delete at 1025 bytes", REJECTED, () -> s.delete(p, over3));
        probe(rule, "prefix of 1025 bytes", REJECTED, () -> s.query(Query.partition(p).prefix(over4)));
        probe(rule, "query(pk, prefix) with a prefix of 1025 bytes", REJECTED, () -> s.query(p, over1));
        probe(rule, "between with an upper bound of 1025 bytes", REJECTED, () -> s.query(Query.partition(p).between("a", over3)));
        probe(rule, "at least 1025 bytes", REJECTED, () -> s.query(Query.partition(p).range(dev.polystore.KeyRange.atLeast(over1))));
        probe(rule, "at most 1025 bytes", REJECTED, () -> s.query(Query.partition(p).range(dev.polystore.KeyRange.atMost(over4))));
        if (batch) {
            probe(rule, "batch put of a valid item and one at 1025 bytes", REJECTED,
                    () -> s.batchPut(List.of(Item.of(p, "companion-batch-3", "v"), Item.of(p, over4, "v"))));
            probe(rule, "batch get at 1025 bytes", REJECTED, () -> s.batchGet(List.of(Key.of(p, max1), Key.of(p, over3))));
            probe(rule, "batch delete of a valid key and one at 1025 bytes", REJECTED,
                    () -> s.batchDelete(List.of(Key.of(p, max1), Key.of(p, over1))));
        }
        if (tx) {
            probe(rule, "transaction of a valid put and a delete at 1025 bytes", REJECTED, () -> txOf(t -> t
                    .put(s, Item.of(p, "companion-tx-3", "v")).delete(s, Key.of(p, over4))).commit());
            probe(rule, "transaction check at 1025 bytes", REJECTED,
                    () -> txOf(t -> t.check(s, Key.of(p, over1), Condition.ifAbsent())).commit());
        }
        return new String[] {max4, max3, max1};
    }

    /** @return the sort keys accepted */
    private String[] scalarValues(String p) {
        String rule = "keys are Unicode scalar values without U+0000";
        String lowest = "\u0001";
        String highest = cp(0x10FFFF);
        String bmpEnd = "\uFFFF";
        probe(rule, "put with U+0001, the lowest allowed character", OK, () -> s.put(Item.of(p, lowest, "v")));
        probe(rule, "put with U+10FFFF, the highest character", OK, () -> s.put(Item.of(p, highest, "v")));
        probe(rule, "put with U+FFFF", OK, () -> s.put(Item.of(p, bmpEnd, "v")));
        probe(rule, "put with U+0000 in the sort key", REJECTED, () -> s.put(Item.of(p, "a\u0000b", "v")));
        probe(rule, "put with U+0000 ending the partition key", REJECTED, () -> s.put(Item.of(p + "\u0000", "x", "v")));
        probe(rule, "put with a lone high surrogate", REJECTED, () -> s.put(Item.of(p, "\uD800", "v")));
        probe(rule, "put ending in a high surrogate", REJECTED, () -> s.put(Item.of(p, "x\uD83D", "v")));
        probe(rule, "put with a lone low surrogate", REJECTED, () -> s.put(Item.of(p, "\uDC00x", "v")));
        probe(rule, "put with a surrogate pair reversed", REJECTED, () -> s.put(Item.of(p, "\uDE00\uD83D", "v")));
        probe(rule, "get with U+0000", REJECTED, () -> s.get(p, "a\u0000"));
        probe(rule, "prefix with a lone high surrogate", REJECTED, () -> s.query(Query.partition(p).prefix("a\uD800")));
        probe(rule, "between with a lone low surrogate", REJECTED, () -> s.query(Query.partition(p).between("\uDC00", "z")));
        if (batch) {
            probe(rule, "batch put of a valid item and one with U+0000", REJECTED,
                    () -> s.batchPut(List.of(Item.of(p, "companion-batch-4", "v"), Item.of(p, "\u0000", "v"))));
        }
        if (tx) {
            probe(rule, "transaction of a valid put and one with a lone surrogate", REJECTED, () -> txOf(t -> t
                    .put(s, Item.of(p, "companion-tx-4", "v")).put(s, Item.of(p, "\uD800", "v"))).commit());
        }
        return new String[] {lowest, highest, bmpEnd};
    }

    /** @return what partition 'bad-size' must hold, and the maximal item's version and content hash */
    private String[] itemSize() {
        String rule = "items <= 400 KiB encoded";
        String p = base + "bad-size";
        int max = Limits.MAX_ITEM_BYTES - Limits.ITEM_OVERHEAD_BYTES - utf8(p) - 3 - layerOverhead;
        byte[] payload = new byte[max];
        new Random(400).nextBytes(payload);
        byte[] over = Arrays.copyOf(payload, max + 1);
        check(Limits.itemSize(utf8(p), 3, max + layerOverhead) == Limits.MAX_ITEM_BYTES, "item size arithmetic");
        probe(rule, "put of exactly 400 KiB", OK, () -> bytes.put(Item.of(p, "big", payload)));
        probe(rule, "put of exactly 400 KiB (another 3-byte sort key)", OK, () -> bytes.put(Item.of(p, "bg2", payload)));
        probe(rule, "put of an empty payload", OK, () -> bytes.put(Item.of(p, "empty", new byte[0])));
        probeResult(rule, "get of the 400 KiB item", "v1 " + Arrays.hashCode(payload), () -> bytes.get(p, "big"),
                o -> o.map(i -> "v" + i.version() + " " + Arrays.hashCode(i.value())).orElse("absent"));
        probe(rule, "put one byte over (payload + 1)", REJECTED, () -> bytes.put(Item.of(p, "bi+", over)));
        probe(rule, "put one byte over (same characters, a 2-byte sort key character)", REJECTED,
                () -> bytes.put(Item.of(p, "bg\u00E9", payload)));
        probe(rule, "overwrite of the 400 KiB item one byte over", REJECTED, () -> bytes.put(Item.of(p, "big", over)));
        probe(rule, "put if version one byte over", REJECTED, () -> bytes.put(Item.of(p, "big", over), Condition.ifVersion(1)));
        probe(rule, "put if absent one byte over", REJECTED, () -> bytes.putIfAbsent(Item.of(p, "bi2", over)));
        if (batch) {
            probe(rule, "batch put of a small item and one a byte over", REJECTED,
                    () -> bytes.batchPut(List.of(Item.of(p, "bc1", new byte[] {1}), Item.of(p, "bc2", over))));
        }
        if (tx) {
            probe(rule, "transaction of a small put and one a byte over", REJECTED, () -> storage.transaction()
                    .put(bytes, Item.of(p, "tc1", new byte[] {1})).put(bytes, Item.of(p, "tc2", over)).commit());
        }
        return new String[] {"[" + label("bg2") + " v1, " + label("big") + " v1, " + label("empty") + " v1]",
                "v1 " + Arrays.hashCode(payload)};
    }

    private void sortOrder() {
        String rule = "sort keys order by UTF-8 bytes";
        String p = base + "bad-order";
        List<String> ordered = List.of("\u007F", "\u0080", "\u07FF", "\u0800", "\uD7FF", "\uE000", "\uFF61", "\uFFFF",
                cp(0x10000), cp(0x10002), cp(0x10FFFF));
        List<String> shuffled = new ArrayList<>(ordered);
        java.util.Collections.shuffle(shuffled, new Random(8));
        for (String sk : shuffled) {
            probe(rule, "put U+" + Integer.toHexString(sk.codePointAt(0)).toUpperCase(java.util.Locale.ROOT), OK,
                    () -> s.put(Item.of(p, sk, "v")));
        }
        Function<List<Item<String>>, String> cps = items -> items.stream()
                .map(i -> Integer.toHexString(i.sk().codePointAt(0)).toUpperCase(java.util.Locale.ROOT))
                .collect(Collectors.toList()).toString();
        String expected = ordered.stream().map(sk -> Integer.toHexString(sk.codePointAt(0)).toUpperCase(java.util.Locale.ROOT))
                .collect(Collectors.toList()).toString();
        probeResult(rule, "ascending across every UTF-8 length boundary", expected, () -> s.query(p, ""), cps);
        probeResult(rule, "descending, 3 per page, first page", "[10FFFF, 10002, 10000]",
                () -> s.query(Query.partition(p).descending().limit(3)), page -> cps.apply(page.items()));
        probeResult(rule, "between U+E000 and U+10000 (UTF-16 order would put U+10000 first)", "[E000, FF61, FFFF, 10000]",
                () -> s.query(Query.partition(p).between("\uE000", cp(0x10000)).limit(10)), page -> cps.apply(page.items()));
        probe(rule, "between U+10000 and U+FFFF is reversed in UTF-8 order", REJECTED,
                () -> s.query(Query.partition(p).between(cp(0x10000), "\uFFFF")));
    }

    private void literalPrefixes() {
        String rule = "prefix characters are literal";
        String p = base + "bad-literal";
        for (String sk : List.of("a%b", "a_b", "a\\b", "a*b", "aXb", "a%", "ab", "a", "A%b", "a.b", "a[b")) {
            probe(rule, "put " + sk, OK, () -> s.put(Item.of(p, sk, "v")));
        }
        Function<List<Item<String>>, String> sks = items -> items.stream().map(Item::sk).collect(Collectors.toList()).toString();
        probeResult(rule, "prefix a%", "[a%, a%b]", () -> s.query(p, "a%"), sks);
        probeResult(rule, "prefix a_", "[a_b]", () -> s.query(p, "a_"), sks);
        probeResult(rule, "prefix a\\", "[a\\b]", () -> s.query(p, "a\\"), sks);
        probeResult(rule, "prefix a*", "[a*b]", () -> s.query(p, "a*"), sks);
        probeResult(rule, "prefix a.", "[a.b]", () -> s.query(p, "a."), sks);
        probeResult(rule, "prefix a[", "[a[b]", () -> s.query(p, "a["), sks);
        probeResult(rule, "prefix %", "[]", () -> s.query(p, "%"), sks);
        probeResult(rule, "prefix _", "[]", () -> s.query(p, "_"), sks);
        probeResult(rule, "prefix A (case-sensitive)", "[A%b]", () -> s.query(p, "A"), sks);
    }

    private void errorKinds(String p, String existing) {
        String rule = "errors are portable kinds";
        probe(rule, "put if absent over an existing item", CONDITION_FAILED, () -> s.putIfAbsent(Item.of(p, existing, "w")));
        probe(rule, "put if version 99", CONDITION_FAILED, () -> s.put(Item.of(p, existing, "w"), Condition.ifVersion(99)));
        probe(rule, "put if exists of a missing item", CONDITION_FAILED,
                () -> s.put(Item.of(p, "missing-cf", "w"), Condition.ifExists()));
        probe(rule, "delete if version 99", CONDITION_FAILED, () -> s.delete(p, existing, Condition.ifVersion(99)));
        probe(rule, "delete if exists of a missing item", CONDITION_FAILED, () -> s.delete(p, "missing-cf", Condition.ifExists()));
        probe(rule, "delete if absent is not a delete condition", REJECTED, () -> s.delete(p, existing, Condition.ifAbsent()));
        if (!batch) {
            probe(rule, "batch put without BATCH", UNSUPPORTED, () -> s.batchPut(List.of(Item.of(p, "nobatch", "v"))));
        }
        if (!tx) {
            probe(rule, "transaction without TRANSACTIONS", UNSUPPORTED,
                    () -> storage.transaction().put(s, Item.of(p, "notx", "v")).commit());
        }
        if (!expiry) {
            probe(rule, "put with expiry without EXPIRY", UNSUPPORTED,
                    () -> s.put(Item.of(p, "noexpiry", "v").withExpiry(java.time.Instant.now().plusSeconds(60))));
        }
        if (tx) {
            probe(rule, "transaction with a failing check", CONDITION_FAILED, () -> txOf(t -> t
                    .put(s, Item.of(p, "companion-tx-5", "v")).check(s, Key.of(p, "missing-cf"), Condition.ifExists())).commit());
        }
    }

    private void apiArguments(String p) {
        String rule = "API arguments";
        probeThrows(rule, "query limit 0", THROWN, () -> Query.partition(p).limit(0));
        probeThrows(rule, "query limit 1001", THROWN, () -> Query.partition(p).limit(Limits.MAX_PAGE_SIZE + 1));
        probe(rule, "query limit 1000", OK, () -> s.query(Query.partition(p).limit(Limits.MAX_PAGE_SIZE)));
        probeThrows(rule, "condition if version 0", THROWN, () -> Condition.ifVersion(0));
        probeThrows(rule, "store name with upper case and space", THROWN, () -> storage.store("Bad Name", Codec.utf8()));
        probeThrows(rule, "store name of 49 characters", THROWN, () -> storage.store("k".repeat(49), Codec.utf8()));
        probe(rule, "at least the empty string", REJECTED, () -> s.query(Query.partition(p).range(dev.polystore.KeyRange.atLeast(""))));
        probe(rule, "malformed cursor", REJECTED, () -> s.query(Query.partition(p).after("not a cursor!")));
        String first = Outcomes.of(() -> s.query(Query.partition(p).limit(1)),
                page -> page.cursor().map(c -> "cursor " + c).orElse("no cursor"));
        if (first.startsWith("cursor ")) {
            String cursor = first.substring("cursor ".length());
            probe(rule, "cursor of another partition", REJECTED,
                    () -> s.query(Query.partition(p + "-other").limit(1).after(cursor)));
            probe(rule, "cursor of the other direction", REJECTED,
                    () -> s.query(Query.partition(p).descending().limit(1).after(cursor)));
        } else {
            record(rule, "a page of limit 1 of partition 'bad' has a cursor", "cursor", first);
        }
        if (batch) {
            probe(rule, "batch put with a repeated key", REJECTED,
                    () -> s.batchPut(List.of(Item.of(p, "companion-batch-5", "v"), Item.of(p, "companion-batch-5", "w"))));
            probe(rule, "batch delete with a repeated key", REJECTED,
                    () -> s.batchDelete(List.of(Key.of(p, "companion-batch-6"), Key.of(p, "companion-batch-6"))));
        }
    }

    private void transactionLimits(String p) {
        if (!tx) {
            return;
        }
        String rule = "transactions within the declared limits";
        int max = storage.capabilities().maxTransactionItems();
        probe(rule, "transaction touching one key twice", REJECTED, () -> txOf(t -> t
                .put(s, Item.of(p, "companion-tx-6", "v")).check(s, Key.of(p, "companion-tx-6"), Condition.ifExists())).commit());
        probe(rule, "transaction of " + (max + 1) + " puts (declared maximum " + max + ")", REJECTED, () -> {
            Transaction t = storage.transaction();
            for (int i = 0; i <= max; i++) {
                t.put(s, Item.of(p, "companion-txmax-" + i, "v"));
            }
            return t.commit();
        });
    }

    private void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("the corpus itself is wrong: " + what);
        }
    }
}
