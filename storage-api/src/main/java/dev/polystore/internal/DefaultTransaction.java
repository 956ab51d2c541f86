package dev.polystore.internal;

import dev.polystore.Capabilities;
import dev.polystore.Capability;
import dev.polystore.Condition;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Limits;
import dev.polystore.Store;
import dev.polystore.StoreException;
import dev.polystore.Transaction;
import dev.polystore.ValidationException;
import dev.polystore.spi.WriteOp;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/** Collects operations, validates them against the portable rules and the backend's limits, then commits. */
final class DefaultTransaction implements Transaction {
    private final DefaultStorage storage;
    private final List<WriteOp> ops = new ArrayList<>();
    /** The same operations with the store each was added through (and a put's value), for indexed stores. */
    private final List<IndexedWrites.Op> withStores = new ArrayList<>();
    private final Set<String> keys = new HashSet<>();
    private StoreException invalid;
    /** Set by the first commit(); atomic so that even racing commits (a misuse) write once. */
    private final AtomicBoolean committed = new AtomicBoolean();

    DefaultTransaction(DefaultStorage storage) {
        this.storage = storage;
    }

    @Override
    public <T> Transaction put(Store<T> store, Item<T> item, Condition condition) {
        add(() -> {
            DefaultStore<T> s = own(store, item);
            return new IndexedWrites.Op(s, s.toPut(Objects.requireNonNull(item, "item"),
                    Objects.requireNonNull(condition, "condition")), item.value());
        });
        return this;
    }

    @Override
    public Transaction delete(Store<?> store, Key key, Condition condition) {
        add(() -> {
            Keys.requireValid(Objects.requireNonNull(key, "key"));
            DefaultStore<?> s = own(store);
            return new IndexedWrites.Op(s, s.toDelete(key, Objects.requireNonNull(condition, "condition")), null);
        });
        return this;
    }

    @Override
    public Transaction check(Store<?> store, Key key, Condition condition) {
        add(() -> {
            Keys.requireValid(Objects.requireNonNull(key, "key"));
            Objects.requireNonNull(condition, "condition");
            if (condition instanceof Condition.None) {
                throw new ValidationException("a check needs a condition (if absent, if exists or if version)");
            }
            DefaultStore<?> s = own(store);
            return new IndexedWrites.Op(s, new WriteOp.Check(s.name(), key, condition), null);
        });
        return this;
    }

    private interface OpSupplier {
        IndexedWrites.Op get();
    }

    private void add(OpSupplier supplier) {
        if (committed.get()) {
            throw alreadyCommitted();
        }
        if (invalid != null) {
            return;
        }
        try {
            IndexedWrites.Op added = supplier.get();
            WriteOp op = added.op;
            if (!keys.add(op.table() + "\u0000" + op.key().pk() + "\u0000" + op.key().sk())) {
                throw new ValidationException("key " + op.key() + " of store '" + op.table()
                        + "' appears twice in one transaction; each item may be touched once");
            }
            ops.add(op);
            withStores.add(added);
        } catch (StoreException e) {
            // Reported by commit(), so that building a transaction never throws half-way.
            invalid = e;
        }
    }

    @SuppressWarnings("unchecked")
    private <T> DefaultStore<T> own(Store<T> store, Item<T> item) {
        return (DefaultStore<T>) own(store);
    }

    private DefaultStore<?> own(Store<?> store) {
        if (store instanceof DefaultStore<?> s && s.storage() == storage) {
            return s;
        }
        throw new ValidationException("store " + (store == null ? "null" : "'" + store.name() + "'")
                + " does not belong to the Storage this transaction was started from");
    }

    @Override
    public int size() {
        return ops.size();
    }

    @Override
    public CompletableFuture<List<Long>> commit() {
        if (!committed.compareAndSet(false, true)) {
            return CompletableFuture.failedFuture(alreadyCommitted());
        }
        try {
            storage.require(Capability.TRANSACTIONS);
            if (invalid != null) {
                throw invalid;
            }
            checkLimits(storage.capabilities());
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (ops.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        if (withStores.stream().anyMatch(o -> o.store.indexSet() != null)) {
            return IndexedWrites.commit(storage, withStores, true).thenApply(IndexedWrites.Result::versions);
        }
        List<WriteOp> frozen = List.copyOf(ops);
        Set<String> tables = new HashSet<>();
        frozen.forEach(op -> tables.add(op.table()));
        CompletableFuture<?>[] prepared = tables.stream().map(storage::prepare).toArray(CompletableFuture[]::new);
        String anyTable = frozen.get(0).table();
        return CompletableFuture.allOf(prepared)
                .thenCompose(v -> storage.call(anyTable, () -> storage.spi().transact(frozen)));
    }

    /** Misuse of a one-shot object: a programming error, not a storage outcome (see {@link Transaction}). */
    private static IllegalStateException alreadyCommitted() {
        return new IllegalStateException("this transaction was already committed: a Transaction commits once; "
                + "start a new one with Storage.transaction()");
    }

    private void checkLimits(Capabilities caps) {
        if (ops.size() > caps.maxTransactionItems()) {
            throw new ValidationException("transaction has " + ops.size() + " operations; backend '" + storage.backend()
                    + "' allows at most " + caps.maxTransactionItems() + ": split it");
        }
        long bytes = 0;
        for (WriteOp op : ops) {
            int keyBytes = Keys.utf8Length(op.key().pk()) + Keys.utf8Length(op.key().sk());
            bytes += op instanceof WriteOp.Put p ? Limits.itemSize(keyBytes, 0, p.payload().length)
                    : Limits.itemSize(keyBytes, 0, 0);
        }
        if (bytes > caps.maxTransactionBytes()) {
            throw new ValidationException("transaction is " + bytes + " bytes encoded; backend '" + storage.backend()
                    + "' allows at most " + caps.maxTransactionBytes() + ": split it");
        }
    }
}
