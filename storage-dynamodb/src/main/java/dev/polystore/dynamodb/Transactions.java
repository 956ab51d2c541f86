package dev.polystore.dynamodb;

import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Key;
import dev.polystore.Limits;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import dev.polystore.spi.WriteOp;
import dev.polystore.spi.SortKeys;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionCheck;
import software.amazon.awssdk.services.dynamodb.model.Delete;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/**
 * Transactions as one {@code TransactWriteItems}, all or nothing, with a fresh client request
 * token per commit (the SDK resends it on retries, and DynamoDB applies a token once).
 *
 * <p>The SPI returns each put's new version. Conditional puts ("if absent", "if version")
 * know it up front. For unconditional and "if exists" puts the current versions are read first
 * (one consistent {@code BatchGetItem}) and each such put is sent with a condition pinning what
 * was read ("version = v", or "absent or expired"), so its new version is known too. If
 * another writer changes one of those items in between, DynamoDB cancels the transaction and
 * nothing is written.
 *
 * <p><b>Contention</b> on one item would otherwise make such transactions lose rounds again and
 * again (each round, one writer wins and the others start over). Three things keep ordinary
 * contention from failing a transaction:
 * <ul>
 *   <li>within this backend, transactions that must learn an item's version take turns on that
 *       item (first come, first served, by chaining futures: no thread waits), so writers of one
 *       process never cancel each other;</li>
 *   <li>a cancellation returns each stale item as it now is
 *       ({@code ReturnValuesOnConditionCheckFailure = ALL_OLD}), so the next round pins the
 *       version learned from it and is sent without reading again (a read is needed again only
 *       when DynamoDB reports a conflicting transaction, which returns no item); from the third
 *       round on, rounds are spaced by backoff with full jitter ({@value #BACKOFF_BASE_MS} ms
 *       doubling, at most {@value #BACKOFF_MAX_MS} ms);</li>
 *   <li>rounds go on for as long as the bulk call timeout ({@code bulk_call_timeout_ms}, 30 s by
 *       default; at most {@value #MAX_ROUNDS} rounds), not a handful: under contention from
 *       other processes a round is lost with a probability that stays well below one, so the
 *       chance of losing every round in that time is negligible. Only contention sustained past
 *       it fails the transaction, with the retryable {@link UnavailableException}, nothing
 *       written.</li>
 * </ul>
 * A failed condition of the caller's is a {@link ConditionFailedException} carrying the index
 * from the cancellation reasons. Thread-safe.
 */
final class Transactions {
    private static final Logger LOG = LoggerFactory.getLogger(Transactions.class);
    /** Most rounds of a transaction whose pinned versions went stale, whatever its time budget. */
    static final int MAX_ROUNDS = 1_000;
    /** The time budget of a transaction's rounds when the bulk call timeout is turned off. */
    static final Duration DEFAULT_BUDGET = Duration.ofSeconds(30);
    /** Backoff between rounds from the third on: full jitter over [0, min(max, base * 2^(round - 2))]. */
    static final long BACKOFF_BASE_MS = 4;
    static final long BACKOFF_MAX_MS = 100;
    /** Rounds sent without any backoff (the version learned from the cancellation is fresh). */
    private static final int ROUNDS_WITHOUT_BACKOFF = 2;

    private final DynamoDbAsyncClient dynamo;
    private final Clock clock;
    private final UnaryOperator<String> tables;
    private final Function<Map<String, List<Map<String, AttributeValue>>>,
            CompletableFuture<Map<String, List<Map<String, AttributeValue>>>>> reads;
    private final WriteTokens tokens;
    private final Timeouts timeouts;
    private final Duration budget;
    /**
     * Per item (table and key): the last transaction of this backend waiting for or holding its
     * turn. Its future completes when it is done, with the items it committed (by table and key),
     * so that the next in turn can pin them without reading them again.
     */
    private final Map<Key, CompletableFuture<Map<Key, Map<String, AttributeValue>>>> turns = new HashMap<>();

    /**
     * @param tables the DynamoDB table name of a store
     * @param reads consistent reads of at most 100 keys over any tables, by table name
     * @param tokens the backend's token source: one token per round, used as the client request
     *        token and as every item's write token
     * @param timeouts the request timeouts (transactions are bulk requests)
     * @param budget how long the rounds of one transaction may go on, or null for {@link #DEFAULT_BUDGET}
     */
    Transactions(DynamoDbAsyncClient dynamo, Clock clock, UnaryOperator<String> tables,
                 Function<Map<String, List<Map<String, AttributeValue>>>,
                         CompletableFuture<Map<String, List<Map<String, AttributeValue>>>>> reads,
                 WriteTokens tokens, Timeouts timeouts, Duration budget) {
        this.dynamo = dynamo;
        this.clock = clock;
        this.tables = tables;
        this.reads = reads;
        this.tokens = tokens;
        this.timeouts = timeouts;
        this.budget = budget == null ? DEFAULT_BUDGET : budget;
    }

    /** Commits {@code operations} all or nothing; see the class description. */
    CompletableFuture<List<Long>> commit(List<WriteOp> operations, InFlight.Call call) {
        if (operations.size() > DynamoDbBackend.MAX_TRANSACTION_ITEMS) {
            return CompletableFuture.failedFuture(new ValidationException("transaction has " + operations.size()
                    + " operations; DynamoDB allows at most " + DynamoDbBackend.MAX_TRANSACTION_ITEMS + ": split it"));
        }
        long bytes = 0;
        for (WriteOp op : operations) {
            bytes += Limits.itemSize(SortKeys.utf8Length(op.key().pk()), SortKeys.utf8Length(op.key().sk()),
                    op instanceof WriteOp.Put p ? p.payload().length : 0);
        }
        if (bytes > DynamoDbBackend.MAX_TRANSACTION_BYTES) {
            return CompletableFuture.failedFuture(new ValidationException("transaction is " + bytes
                    + " bytes encoded; DynamoDB allows at most " + DynamoDbBackend.MAX_TRANSACTION_BYTES + ": split it"));
        }
        List<Key> learned = new ArrayList<>();
        for (WriteOp op : operations) {
            if (op instanceof WriteOp.Put p && needsRead(p.condition())) {
                learned.add(tableKey(tables.apply(op.table()), op.key()));
            }
        }
        if (learned.isEmpty()) {
            return DynamoDbBackend.guard(() -> readThenCommit(operations, call, new Rounds(budget)));
        }
        Rounds rounds = new Rounds(budget);
        return inTurn(learned, rounds, known -> {
            rounds.restart();
            if (known.keySet().containsAll(learned)) {
                // The transaction before in turn committed every item this one pins: no read needed
                // (if another client wrote one since, the cancellation returns it and the next round pins that).
                return commitRound(operations, call, known, rounds);
            }
            return readThenCommit(operations, call, rounds);
        });
    }

    /** The rounds of one transaction so far, against its time budget (started when its turn came). */
    private static final class Rounds {
        private final Duration budget;
        long started = System.nanoTime();
        long deadline;
        int round = 1;
        /** The items pinned by version that the committed round wrote, by table and key. */
        final Map<Key, Map<String, AttributeValue>> written = new HashMap<>();

        Rounds(Duration budget) {
            this.budget = budget;
            this.deadline = started + budget.toNanos();
        }

        /** Starts the budget now (when the transaction's turn comes). */
        void restart() {
            started = System.nanoTime();
            deadline = started + budget.toNanos();
        }

        boolean exhausted() {
            return round >= MAX_ROUNDS || System.nanoTime() - deadline >= 0;
        }

        long elapsedMs() {
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        }
    }

    /**
     * Runs {@code work} once every earlier transaction of this backend on any of {@code items} has
     * finished (first come, first served; no thread waits). A transaction waits only for ones that
     * asked before it, so turns never deadlock.
     */
    private <T> CompletableFuture<T> inTurn(List<Key> items, Rounds rounds,
                                            Function<Map<Key, Map<String, AttributeValue>>, CompletableFuture<T>> work) {
        CompletableFuture<Map<Key, Map<String, AttributeValue>>> mine = new CompletableFuture<>();
        List<CompletableFuture<Map<Key, Map<String, AttributeValue>>>> before = new ArrayList<>();
        synchronized (turns) {
            for (Key item : items) {
                CompletableFuture<Map<Key, Map<String, AttributeValue>>> previous = turns.put(item, mine);
                if (previous != null) {
                    before.add(previous);
                }
            }
        }
        CompletableFuture<T> result = CompletableFuture.allOf(before.toArray(CompletableFuture[]::new))
                .thenCompose(v -> {
                    Map<Key, Map<String, AttributeValue>> known = new HashMap<>();
                    for (CompletableFuture<Map<Key, Map<String, AttributeValue>>> b : before) {
                        b.join().forEach((k, item) -> {
                            if (items.contains(k)) {
                                known.put(k, item);
                            }
                        });
                    }
                    return DynamoDbBackend.guard(() -> work.apply(known));
                });
        result.whenComplete((v, e) -> {
            synchronized (turns) {
                items.forEach(item -> turns.remove(item, mine));
            }
            mine.complete(e == null ? Map.copyOf(rounds.written) : Map.of());
        });
        return result;
    }

    /** What one round of a transaction sends, and what it learns from a cancellation. */
    private static final class Plan {
        final List<TransactWriteItem> items = new ArrayList<>();
        final List<Long> versions = new ArrayList<>();
        /** Per operation: whether a failed condition is the caller's condition (else a stale read). */
        final List<Boolean> callerCondition = new ArrayList<>();
        /** The items written by puts whose version was pinned, by table and key. */
        final Map<Key, Map<String, AttributeValue>> pinnedWrites = new HashMap<>();
        ConditionFailedException failedEarly;
    }

    /** Reads the items of the puts that need their current version, then commits. */
    private CompletableFuture<List<Long>> readThenCommit(List<WriteOp> ops, InFlight.Call call, Rounds rounds) {
        Map<String, List<Map<String, AttributeValue>>> toRead = new HashMap<>();
        for (WriteOp op : ops) {
            if (op instanceof WriteOp.Put p && needsRead(p.condition())) {
                toRead.computeIfAbsent(tables.apply(op.table()), t -> new ArrayList<>()).add(Items.key(op.key()));
            }
        }
        CompletableFuture<Map<Key, Map<String, AttributeValue>>> reads = readAll(toRead).handle((m, e) -> {
            if (e != null) {
                throw Errors.read("reading the current versions for a transaction of " + ops.size() + " operations", e);
            }
            return m;
        });
        return reads.thenCompose(current -> commitRound(ops, call, current, rounds));
    }

    /**
     * One {@code TransactWriteItems} pinning {@code current} (the items read or learned, by
     * table and key; absent keys have no item).
     */
    private CompletableFuture<List<Long>> commitRound(List<WriteOp> ops, InFlight.Call call,
                                                      Map<Key, Map<String, AttributeValue>> current, Rounds rounds) {
        long now = clock.instant().getEpochSecond();
        String token = tokens.next();
        Plan plan = plan(ops, current, now, token);
        if (plan.failedEarly != null) {
            return CompletableFuture.failedFuture(plan.failedEarly);
        }
        AttemptLog log = call.newLog();
        TransactWriteItemsRequest request = TransactWriteItemsRequest.builder()
                .transactItems(plan.items)
                .clientRequestToken(token)
                .overrideConfiguration(timeouts.bulk(log))
                .build();
        return dynamo.transactWriteItems(request).handle((r, e) -> {
            if (e == null) {
                rounds.written.clear();
                rounds.written.putAll(plan.pinnedWrites);
                if (rounds.round > 1) {
                    LOG.debug("Transaction committed in round {} after {} ms", rounds.round, rounds.elapsedMs());
                }
                return CompletableFuture.completedFuture(List.copyOf(plan.versions));
            }
            Throwable t = Errors.unwrap(e);
            if (t instanceof TransactionCanceledException tce && tce.hasCancellationReasons()) {
                return cancelled(ops, call, plan, current, tce, token, now, log, rounds);
            }
            return CompletableFuture.<List<Long>>failedFuture(
                    Errors.write("transaction of " + ops.size() + " operations", null, t, log));
        }).thenCompose(f -> f);
    }

    private static boolean needsRead(Condition c) {
        return c instanceof Condition.None || c instanceof Condition.IfExists;
    }

    private Plan plan(List<WriteOp> ops, Map<Key, Map<String, AttributeValue>> current, long now, String token) {
        Plan plan = new Plan();
        for (int i = 0; i < ops.size(); i++) {
            WriteOp op = ops.get(i);
            String table = tables.apply(op.table());
            Map<String, AttributeValue> values = new HashMap<>();
            values.put(":now", Items.number(now));
            Condition c = op.condition();
            String condition;
            long version = 0;
            boolean callers = true;
            if (op instanceof WriteOp.Put p) {
                if (c instanceof Condition.IfAbsent) {
                    condition = Items.ABSENT;
                    version = 1;
                } else if (c instanceof Condition.IfVersion v) {
                    condition = Items.VERSION_IS;
                    values.put(":expected", Items.number(v.version()));
                    version = v.version() + 1;
                } else {
                    Map<String, AttributeValue> cur = current.get(tableKey(table, op.key()));
                    boolean live = Items.live(cur, now);
                    if (c instanceof Condition.IfExists && !live) {
                        plan.failedEarly = DynamoDbBackend.conditionFailed(op, cur, now, i, null);
                        return plan;
                    }
                    callers = false; // these conditions only pin what was read
                    if (live) {
                        long v = Items.versionOrNone(cur);
                        condition = Items.VERSION_IS;
                        values.put(":expected", Items.number(v));
                        version = v + 1;
                    } else {
                        condition = Items.ABSENT;
                        version = 1;
                    }
                }
                Map<String, AttributeValue> written = Items.item(p.key(), p.payload(), version, p.expiresAt(), token);
                if (!callers) {
                    plan.pinnedWrites.put(tableKey(table, p.key()), written);
                }
                plan.items.add(TransactWriteItem.builder().put(Put.builder()
                        .tableName(table)
                        .item(written)
                        .conditionExpression(condition)
                        .expressionAttributeNames(Items.names(condition))
                        .expressionAttributeValues(Items.values(values, condition))
                        .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
                        .build()).build());
            } else {
                condition = switch (c.kind()) {
                    case NONE -> null;
                    case IF_ABSENT -> Items.ABSENT;
                    case IF_EXISTS -> Items.LIVE;
                    case IF_VERSION -> {
                        values.put(":expected", Items.number(c.expectedVersion()));
                        yield Items.VERSION_IS;
                    }
                };
                if (op instanceof WriteOp.Delete) {
                    Delete.Builder d = Delete.builder().tableName(table).key(Items.key(op.key()));
                    if (condition != null) {
                        d.conditionExpression(condition)
                                .expressionAttributeNames(Items.names(condition))
                                .expressionAttributeValues(Items.values(values, condition))
                                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD);
                    }
                    plan.items.add(TransactWriteItem.builder().delete(d.build()).build());
                } else {
                    if (condition == null) {
                        throw new ValidationException("a check needs a condition (if absent, if exists or if version)");
                    }
                    plan.items.add(TransactWriteItem.builder().conditionCheck(ConditionCheck.builder()
                            .tableName(table)
                            .key(Items.key(op.key()))
                            .conditionExpression(condition)
                            .expressionAttributeNames(Items.names(condition))
                            .expressionAttributeValues(Items.values(values, condition))
                            .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
                            .build()).build());
                }
            }
            plan.versions.add(version);
            plan.callerCondition.add(callers);
        }
        return plan;
    }

    private CompletableFuture<List<Long>> cancelled(List<WriteOp> ops, InFlight.Call call, Plan plan,
                                                    Map<Key, Map<String, AttributeValue>> current,
                                                    TransactionCanceledException e, String token, long now,
                                                    AttemptLog log, Rounds rounds) {
        List<CancellationReason> reasons = e.cancellationReasons();
        boolean stale = false;
        boolean conflict = false;
        Map<Key, Map<String, AttributeValue>> learned = new HashMap<>(current);
        for (int i = 0; i < reasons.size() && i < ops.size(); i++) {
            CancellationReason reason = reasons.get(i);
            String code = reason.code() == null ? "None" : reason.code();
            Map<String, AttributeValue> item = reason.hasItem() ? reason.item() : null;
            switch (code) {
                case "None":
                    break;
                case "ConditionalCheckFailed":
                    if (token.equals(Items.token(item))) {
                        // This transaction's own items: an earlier attempt committed it.
                        LOG.debug("Transaction was committed by an earlier attempt ({}); reporting success", log);
                        return CompletableFuture.completedFuture(List.copyOf(plan.versions));
                    }
                    if (plan.callerCondition.get(i)) {
                        if (log.earlierAttemptMayHaveApplied()) {
                            return CompletableFuture.failedFuture(new OutcomeUnknownException("transaction of "
                                    + ops.size() + " operations may or may not have been committed: " + log
                                    + ", then operation " + i + "'s condition failed", null, e));
                        }
                        return CompletableFuture.failedFuture(DynamoDbBackend.conditionFailed(ops.get(i), item, now, i, e));
                    }
                    // A pinned version went stale: the reason carries the item as it is now (none if deleted).
                    stale = true;
                    Key key = tableKey(tables.apply(ops.get(i).table()), ops.get(i).key());
                    if (item == null || item.isEmpty()) {
                        learned.remove(key);
                    } else {
                        learned.put(key, item);
                    }
                    break;
                case "TransactionConflict":
                    conflict = true;
                    break;
                case "ThrottlingError":
                case "ProvisionedThroughputExceeded":
                    return CompletableFuture.failedFuture(new UnavailableException("transaction was throttled by "
                            + "DynamoDB (operation " + i + ": " + reason.message() + "); nothing was written, retry later", e));
                case "ValidationError":
                    return CompletableFuture.failedFuture(new ValidationException("DynamoDB refused transaction "
                            + "operation " + i + " (" + DynamoDbBackend.describe(ops.get(i)) + "): " + reason.message()
                            + "; nothing was written", e));
                default:
                    return CompletableFuture.failedFuture(new StoreException("DynamoDB cancelled the transaction: "
                            + "operation " + i + " (" + DynamoDbBackend.describe(ops.get(i)) + ") " + code + ": " + reason.message()
                            + "; nothing was written", e));
            }
        }
        if (!(stale || conflict) || rounds.exhausted()) {
            return CompletableFuture.failedFuture(new UnavailableException("transaction of " + ops.size()
                    + " operations kept conflicting with concurrent writes by other clients (" + rounds.round
                    + " rounds in " + rounds.elapsedMs() + " ms, the budget of storage.dynamodb.bulk_call_timeout_ms); "
                    + "nothing was written, retry later", e));
        }
        LOG.debug("Transaction round {} cancelled ({}); retrying", rounds.round,
                conflict ? "conflicting transaction, reading again" : "versions went stale, pinning the ones learned");
        boolean readAgain = conflict;
        int cancelledRound = rounds.round++;
        return backoff(cancelledRound).thenCompose(v -> readAgain
                ? readThenCommit(ops, call, rounds)
                : commitRound(ops, call, learned, rounds));
    }

    /** No wait for the first rounds, then exponential backoff with full jitter, without blocking a thread. */
    static CompletableFuture<Void> backoff(int round) {
        if (round < ROUNDS_WITHOUT_BACKOFF) {
            return CompletableFuture.completedFuture(null);
        }
        long cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS << Math.min(round - ROUNDS_WITHOUT_BACKOFF, 16));
        long millis = ThreadLocalRandom.current().nextLong(cap + 1);
        return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(millis, TimeUnit.MILLISECONDS));
    }

    /** Consistent reads of keys over several tables, keyed by table and key. */
    private CompletableFuture<Map<Key, Map<String, AttributeValue>>> readAll(
            Map<String, List<Map<String, AttributeValue>>> keys) {
        if (keys.isEmpty()) {
            return CompletableFuture.completedFuture(Map.of());
        }
        // A transaction has at most 100 operations, so one BatchGetItem request holds every key.
        return reads.apply(keys).thenApply(found -> {
            Map<Key, Map<String, AttributeValue>> byKey = new HashMap<>();
            found.forEach((table, items) -> items.forEach(m -> byKey.put(tableKey(table, DynamoDbBackend.keyOf(m)), m)));
            return byKey;
        });
    }

    /** A key qualified by its table, for maps over several tables. */
    private static Key tableKey(String table, Key key) {
        return Key.of(table + "\u0000" + key.pk(), key.sk());
    }
}
