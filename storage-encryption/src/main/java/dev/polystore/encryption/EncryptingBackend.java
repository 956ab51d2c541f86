package dev.polystore.encryption;

import dev.polystore.BatchWriteException;
import dev.polystore.Capabilities;
import dev.polystore.Capability;
import dev.polystore.IntegrityException;
import dev.polystore.Key;
import dev.polystore.Limits;
import dev.polystore.StoreException;
import dev.polystore.ValidationException;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.ImportMode;
import dev.polystore.spi.ImportOutcome;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.ScanPage;
import dev.polystore.spi.SearchIndex;
import dev.polystore.spi.SortKeys;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The encryption layer over a backend: payloads are encrypted on the way in and decrypted (and
 * authenticated) on the way out; the partition keys of search postings and index entries are
 * blinded ({@link KeyBlinder}). Keys, versions and expiry reach the engine as they are.
 *
 * <p>Capabilities: those of the backend without {@link Capability#NATIVE_SEARCH} (a native
 * full-text index would hold the plaintext), with the transaction byte limit lowered by the
 * layer's overhead per item. Every encrypted item is checked against the portable size limit
 * ({@link Limits#MAX_ITEM_BYTES}) before it is written, so an item that is refused on one engine is
 * refused on every engine. The backend's native handles are hidden (writes through them would
 * bypass the layer).
 *
 * <p>Thread-safe if the backend is.
 */
public final class EncryptingBackend extends ForwardingStorageBackend {
    /** Most bytes a blinded partition key takes beyond the clear prefix: {@code ~} and 43 base64url characters. */
    private static final int BLIND_SUFFIX = 44;

    private final EncryptionKeys keys;
    private final Capabilities capabilities;

    EncryptingBackend(StorageBackend inner, EncryptionKeys keys) {
        super(inner);
        this.keys = keys;
        Capabilities c = inner.capabilities();
        EnumSet<Capability> set = c.supported().isEmpty() ? EnumSet.noneOf(Capability.class) : EnumSet.copyOf(c.supported());
        set.remove(Capability.NATIVE_SEARCH);
        // Native index entries would be written around this layer (ForwardingStorageBackend hides
        // the accelerator): indexed stores keep their entries as items, encrypted and blinded here.
        set.remove(Capability.NATIVE_INDEXES);
        long txBytes = c.maxTransactionBytes();
        if (set.contains(Capability.TRANSACTIONS)) {
            long perItem = keys.cipher().overhead() + 2L + Limits.MAX_PK_BYTES;
            txBytes = Math.max(Limits.MAX_ITEM_BYTES, txBytes - (long) c.maxTransactionItems() * perItem);
        }
        this.capabilities = new Capabilities(set, c.maxTransactionItems(), txBytes, c.maxBatchGetItems(),
                c.maxBatchWriteItems(), c.transactionsAcrossPartitions());
    }

    /**
     * Bytes the layer adds to an item whose partition key it does not blind: the largest payload
     * that fits is the portable one less this many bytes.
     */
    public int overheadBytes() {
        return keys.cipher().overhead();
    }

    /** The key id new items are encrypted under (the keyset's primary). */
    public int primaryKeyId() {
        return keys.cipher().primaryKeyId();
    }

    @Override
    public int payloadOverheadBytes() {
        return delegate.payloadOverheadBytes() + keys.cipher().overhead();
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public Optional<SearchIndex> searchIndex() {
        return Optional.empty();
    }

    // ------------------------------------------------------------------ keys and payloads

    Key stored(String table, Key key) {
        String pk = keys.blinder().storedPk(table, key.pk());
        return pk.equals(key.pk()) ? key : new Key(pk, key.sk());
    }

    /** The payload stored for {@code key}; checks the encrypted item against the portable size limit. */
    byte[] seal(String table, Key key, Key stored, byte[] payload) {
        String original = stored.pk().equals(key.pk()) ? null : key.pk();
        byte[] out = keys.cipher().encrypt(table, stored, original, payload);
        long size = Limits.itemSize(SortKeys.utf8Length(stored.pk()), SortKeys.utf8Length(stored.sk()),
                out.length + delegate.payloadOverheadBytes());
        if (size > Limits.MAX_ITEM_BYTES) {
            throw new ValidationException("item " + key + " of store '" + table + "' is " + size
                    + " bytes encrypted, over the portable limit of " + Limits.MAX_ITEM_BYTES + " bytes (encryption adds "
                    + (out.length - payload.length) + " bytes to this item; see docs/encryption.md, \"Size\")");
        }
        return out;
    }

    /** Decrypts an item read at {@code stored}, which the caller asked for as {@code key}. */
    RawItem open(String table, Key key, RawItem raw) {
        ItemCipher.Opened o = keys.cipher().decrypt(table, raw.key(), key, raw.payload());
        String expected = raw.key().pk().equals(key.pk()) ? null : key.pk();
        if (!java.util.Objects.equals(o.originalPk(), expected)) {
            throw new IntegrityException("item " + key + " of store '" + table + "' holds another partition key than"
                    + " the one it was read under", table, key, null);
        }
        return new RawItem(key, o.payload(), raw.version(), raw.expiresAt());
    }

    /** Decrypts an item found by a scan, whose original key only its ciphertext tells. */
    RawItem openScanned(String table, RawItem raw) {
        ItemCipher.Opened o = keys.cipher().decrypt(table, raw.key(), raw.key(), raw.payload());
        Key key = raw.key();
        if (o.originalPk() != null) {
            key = new Key(o.originalPk(), raw.key().sk());
            if (!keys.blinder().storedPk(table, o.originalPk()).equals(raw.key().pk())) {
                throw new IntegrityException("item " + raw.key() + " of store '" + table + "' does not belong under its"
                        + " blinded partition key", table, raw.key(), null);
            }
        } else if (KeyBlinder.blindPrefix(table, raw.key().pk()) != null) {
            throw new IntegrityException("item " + raw.key() + " of store '" + table + "' should have a blinded"
                    + " partition key", table, raw.key(), null);
        }
        return new RawItem(key, o.payload(), raw.version(), raw.expiresAt());
    }

    private WriteOp sealOp(WriteOp op) {
        Key stored = stored(op.table(), op.key());
        if (op instanceof WriteOp.Put p) {
            return new WriteOp.Put(p.table(), stored, seal(p.table(), p.key(), stored, p.payload()), p.expiresAt(),
                    p.condition());
        } else if (op instanceof WriteOp.Delete d) {
            return new WriteOp.Delete(d.table(), stored, d.condition());
        } else {
            WriteOp.Check c = (WriteOp.Check) op;
            return new WriteOp.Check(c.table(), stored, c.condition());
        }
    }

    private static <T> CompletableFuture<T> attempt(java.util.function.Supplier<CompletableFuture<T>> call) {
        try {
            return call.get();
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    // ------------------------------------------------------------------ operations

    @Override
    public CompletableFuture<Optional<RawItem>> get(String table, Key key) {
        Key stored = stored(table, key);
        return delegate.get(table, stored).thenApply(o -> o.map(raw -> open(table, key, raw)));
    }

    @Override
    public CompletableFuture<Long> put(WriteOp.Put put) {
        return attempt(() -> delegate.put((WriteOp.Put) sealOp(put)));
    }

    @Override
    public CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
        return delegate.delete((WriteOp.Delete) sealOp(delete));
    }

    @Override
    public CompletableFuture<RawPage> query(QuerySpec q) {
        String storedPk = keys.blinder().storedPk(q.table(), q.pk());
        QuerySpec inner = storedPk.equals(q.pk()) ? q
                : new QuerySpec(q.table(), storedPk, q.range(), q.limit(), q.direction(), q.exclusiveStartSk());
        return delegate.query(inner).thenApply(page -> {
            List<RawItem> items = new ArrayList<>(page.items().size());
            for (RawItem raw : page.items()) {
                items.add(open(q.table(), new Key(q.pk(), raw.key().sk()), raw));
            }
            return new RawPage(items, page.lastEvaluatedSk());
        });
    }

    @Override
    public CompletableFuture<List<RawItem>> batchGet(String table, List<Key> keyList) {
        Map<Key, Key> original = new HashMap<>();
        List<Key> stored = new ArrayList<>(keyList.size());
        for (Key k : keyList) {
            Key s = stored(table, k);
            original.put(s, k);
            stored.add(s);
        }
        return delegate.batchGet(table, stored).thenApply(items -> {
            List<RawItem> out = new ArrayList<>(items.size());
            for (RawItem raw : items) {
                Key k = original.get(raw.key());
                if (k == null) {
                    throw new IntegrityException("the backend returned item " + raw.key() + " of store '" + table
                            + "', which was not asked for", table, raw.key(), null);
                }
                out.add(open(table, k, raw));
            }
            return out;
        });
    }

    @Override
    public CompletableFuture<Void> batchWrite(String table, List<WriteOp> writes) {
        return attempt(() -> {
            Map<Key, Key> original = new HashMap<>();
            List<WriteOp> sealed = new ArrayList<>(writes.size());
            for (WriteOp w : writes) {
                WriteOp s = sealOp(w);
                original.put(s.key(), w.key());
                sealed.add(s);
            }
            return delegate.batchWrite(table, sealed).exceptionallyCompose(e -> {
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                if (cause instanceof BatchWriteException b) {
                    return CompletableFuture.failedFuture(new BatchWriteException(b.getMessage(),
                            b.unprocessed().stream().map(k -> original.getOrDefault(k, k)).toList(),
                            b.inDoubt().stream().map(k -> original.getOrDefault(k, k)).toList(), b.retryable(), b));
                }
                return CompletableFuture.failedFuture(cause);
            });
        });
    }

    @Override
    public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
        return attempt(() -> {
            List<WriteOp> sealed = new ArrayList<>(operations.size());
            for (WriteOp op : operations) {
                sealed.add(sealOp(op));
            }
            return delegate.transact(sealed);
        });
    }

    @Override
    public CompletableFuture<ScanPage> scan(String table, String position, int limit) {
        return delegate.scan(table, position, limit).thenApply(page -> {
            List<RawItem> items = new ArrayList<>(page.items().size());
            for (RawItem raw : page.items()) {
                items.add(openScanned(table, raw));
            }
            return new ScanPage(items, page.next(), page.expiredSkipped());
        });
    }

    @Override
    public CompletableFuture<List<ImportOutcome>> importItems(String table, List<RawItem> items, ImportMode mode) {
        ImportOutcome[] outcomes = new ImportOutcome[items.size()];
        List<RawItem> sealed = new ArrayList<>(items.size());
        List<Integer> positions = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            RawItem item = items.get(i);
            try {
                Key stored = stored(table, item.key());
                sealed.add(new RawItem(stored, seal(table, item.key(), stored, item.payload()), item.version(),
                        item.expiresAt()));
                positions.add(i);
            } catch (StoreException e) {
                outcomes[i] = ImportOutcome.failed(e);
            }
        }
        if (sealed.isEmpty()) {
            return CompletableFuture.completedFuture(List.of(outcomes));
        }
        return delegate.importItems(table, sealed, mode).thenApply(result -> {
            for (int j = 0; j < result.size(); j++) {
                outcomes[positions.get(j)] = result.get(j);
            }
            return List.of(outcomes);
        });
    }

}
