package dev.polystore.testkit.broken;

import dev.polystore.spi.ForwardingStorageBackend;

import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Direction;
import dev.polystore.KeyRange;
import dev.polystore.ValidationException;
import dev.polystore.internal.CursorCodec;
import dev.polystore.internal.Keys;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;
import dev.polystore.spi.WriteOp;
import dev.polystore.memory.MemoryBackend;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiPredicate;
import java.util.zip.CRC32;

/**
 * Backends with one realistic bug each, registered as test providers. The kit's self-test
 * checks that the contract suite catches every one of them with a readable failure.
 */
final class BrokenBackends {
    private BrokenBackends() {
    }

    /** Treats every put condition as "none": an unconditional put pretending to be conditional. */
    public static final class IgnoresConditions implements StorageProvider {
        @Override
        public String name() {
            return "brokenconditions";
        }

        @Override
        public StorageBackend open(ProviderContext context) {
            return new ForwardingStorageBackend(new MemoryBackend(context.clock())) {
                @Override
                public CompletableFuture<Long> put(WriteOp.Put put) {
                    return delegate.put(new WriteOp.Put(put.table(), put.key(), put.payload(), put.expiresAt(),
                            Condition.none()));
                }
            };
        }
    }

    /** Orders sort keys by Java's String.compareTo (UTF-16), as a naive TreeMap would. */
    public static final class JavaStringOrder implements StorageProvider {
        @Override
        public String name() {
            return "brokenorder";
        }

        @Override
        public StorageBackend open(ProviderContext context) {
            return new ReQueryingBackend(new MemoryBackend(context.clock()), Comparator.naturalOrder(),
                    (sk, prefix) -> sk.startsWith(prefix));
        }
    }

    /** Matches prefixes like SQL LIKE 'prefix%' without escaping: '_' and '%' are wildcards. */
    public static final class LikePrefix implements StorageProvider {
        @Override
        public String name() {
            return "brokenprefix";
        }

        @Override
        public StorageBackend open(ProviderContext context) {
            return new ReQueryingBackend(new MemoryBackend(context.clock()), dev.polystore.spi.SortKeys::compare, LikePrefix::like);
        }

        static boolean like(String sk, String prefix) {
            StringBuilder regex = new StringBuilder();
            for (char c : prefix.toCharArray()) {
                if (c == '_') {
                    regex.append('.');
                } else if (c == '%') {
                    regex.append(".*");
                } else {
                    regex.append(java.util.regex.Pattern.quote(String.valueOf(c)));
                }
            }
            return sk.matches("(?s)" + regex + ".*");
        }
    }

    /** The I/O threads of the two engines below, which complete their reads as a client library would. */
    private static final java.util.concurrent.ExecutorService ENGINE_THREADS = java.util.concurrent.Executors
            .newCachedThreadPool(r -> {
                Thread t = new Thread(r, "broken-engine-io");
                t.setDaemon(true);
                return t;
            });

    /**
     * A read completed on an engine thread, as an asynchronous client (a network driver, an
     * engine with its own I/O threads) completes it: the caller's next step runs in the callback.
     */
    static CompletableFuture<java.util.Optional<RawItem>> readOnEngineThread(StorageBackend engine, String table,
            dev.polystore.Key key) {
        return CompletableFuture.supplyAsync(() -> engine.get(table, key).join(), ENGINE_THREADS);
    }

    /**
     * Checks a delete's condition against a separate read, then deletes unconditionally: two
     * "if version" deletes of one item can both win. The read and the delete are each atomic;
     * the pair is not (no lock, no conditional engine call).
     */
    public static final class NonAtomicConditionalDelete implements StorageProvider {
        @Override
        public String name() {
            return "brokendelete";
        }

        @Override
        public StorageBackend open(ProviderContext context) {
            return new ForwardingStorageBackend(new MemoryBackend(context.clock())) {
                @Override
                public CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
                    if (delete.condition().kind() == Condition.Kind.NONE) {
                        return delegate.delete(delete);
                    }
                    return readOnEngineThread(delegate, delete.table(), delete.key()).thenCompose(current -> {
                        if (!delete.condition().holds(current.map(RawItem::version).orElse(0L))) {
                            return CompletableFuture.failedFuture(new ConditionFailedException("condition "
                                    + delete.condition() + " failed for " + delete.key(), delete.key(), -1, null));
                        }
                        return delegate.delete(new WriteOp.Delete(delete.table(), delete.key(), Condition.none()))
                                .thenApply(deleted -> true);
                    });
                }
            };
        }
    }

    /**
     * Checks a put's condition against a separate read, then writes unconditionally: the missing
     * lock of a naive engine, so two "if absent" puts of one key can both win.
     */
    public static final class UnlockedPut implements StorageProvider {
        @Override
        public String name() {
            return "brokenputlock";
        }

        @Override
        public StorageBackend open(ProviderContext context) {
            return new ForwardingStorageBackend(new MemoryBackend(context.clock())) {
                @Override
                public CompletableFuture<Long> put(WriteOp.Put put) {
                    if (put.condition().kind() == Condition.Kind.NONE) {
                        return delegate.put(put);
                    }
                    return readOnEngineThread(delegate, put.table(), put.key()).thenCompose(current -> {
                        if (!put.condition().holds(current.map(RawItem::version).orElse(0L))) {
                            return CompletableFuture.failedFuture(new ConditionFailedException("condition "
                                    + put.condition() + " failed for " + put.key(), put.key(), -1, null));
                        }
                        return delegate.put(new WriteOp.Put(put.table(), put.key(), put.payload(), put.expiresAt(),
                                Condition.none()));
                    });
                }
            };
        }
    }

    /** Returns each page without a resume position, as if every page were the last. */
    public static final class NoResumePosition implements StorageProvider {
        @Override
        public String name() {
            return "brokennoresume";
        }

        @Override
        public StorageBackend open(ProviderContext context) {
            return new ForwardingStorageBackend(new MemoryBackend(context.clock())) {
                @Override
                public CompletableFuture<RawPage> query(QuerySpec query) {
                    return delegate.query(query).thenApply(page -> new RawPage(page.items(), null));
                }
            };
        }
    }

    /** Declares EXPIRY but returns expired items from queries (forgets the filter). */
    public static final class LeaksExpired implements StorageProvider {
        @Override
        public String name() {
            return "brokenexpiry";
        }

        @Override
        public StorageBackend open(ProviderContext context) {
            // The inner backend never sees time pass, so nothing expires for queries.
            MemoryBackend frozen = new MemoryBackend(java.time.Clock.fixed(Instant.EPOCH, java.time.ZoneOffset.UTC));
            MemoryBackend honest = new MemoryBackend(context.clock());
            return new ForwardingStorageBackend(honest) {
                @Override
                public CompletableFuture<Void> prepareTable(String table) {
                    return frozen.prepareTable(table).thenCompose(v -> honest.prepareTable(table));
                }

                @Override
                public CompletableFuture<Long> put(WriteOp.Put put) {
                    return honest.put(put).thenCompose(v -> frozen.put(new WriteOp.Put(put.table(), put.key(),
                            put.payload(), put.expiresAt(), Condition.none())).thenApply(ignored -> v));
                }

                @Override
                public CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
                    return honest.delete(delete).thenCompose(v -> frozen.delete(new WriteOp.Delete(delete.table(),
                            delete.key(), Condition.none())).thenApply(ignored -> v));
                }

                @Override
                public CompletableFuture<RawPage> query(QuerySpec query) {
                    return frozen.query(query);
                }
            };
        }
    }

    /**
     * Answers every get and put a little later (as a remote engine does), but its close() shuts
     * the engine and returns at once, leaving the calls in flight to complete afterwards.
     */
    public static final class ClosesEarly implements StorageProvider {
        @Override
        public String name() {
            return "brokenclose";
        }

        @Override
        public StorageBackend open(ProviderContext context) {
            java.util.concurrent.Executor later = CompletableFuture.delayedExecutor(20,
                    java.util.concurrent.TimeUnit.MILLISECONDS);
            return new ForwardingStorageBackend(new MemoryBackend(context.clock())) {
                @Override
                public CompletableFuture<java.util.Optional<RawItem>> get(String table, dev.polystore.Key key) {
                    return CompletableFuture.runAsync(() -> { }, later).thenCompose(v -> delegate.get(table, key));
                }

                @Override
                public CompletableFuture<Long> put(WriteOp.Put put) {
                    return CompletableFuture.runAsync(() -> { }, later).thenCompose(v -> delegate.put(put));
                }

                @Override
                public void close() {
                    delegate.close(); // no waiting for the calls in flight
                }
            };
        }
    }

    /**
     * Transactions with unconditional puts read the current versions, wait a moment, and commit
     * pinned to them once: if another writer got in between, they give up with
     * UnavailableException instead of trying again (a single optimistic round).
     */
    public static final class HotKeyGivesUp implements StorageProvider {
        @Override
        public String name() {
            return "brokenhotkey";
        }

        @Override
        public StorageBackend open(ProviderContext context) {
            java.util.concurrent.Executor later = CompletableFuture.delayedExecutor(2,
                    java.util.concurrent.TimeUnit.MILLISECONDS);
            return new ForwardingStorageBackend(new MemoryBackend(context.clock())) {
                @Override
                public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
                    List<WriteOp> pinned = new ArrayList<>();
                    java.util.Set<Integer> pinnedIndexes = new java.util.HashSet<>();
                    for (int i = 0; i < operations.size(); i++) {
                        WriteOp op = operations.get(i);
                        if (op instanceof WriteOp.Put p && p.condition() instanceof Condition.None) {
                            java.util.Optional<RawItem> current = delegate.get(p.table(), p.key()).join();
                            Condition pin = current.map(c -> Condition.ifVersion(c.version())).orElse(Condition.ifAbsent());
                            pinned.add(new WriteOp.Put(p.table(), p.key(), p.payload(), p.expiresAt(), pin));
                            pinnedIndexes.add(i);
                        } else {
                            pinned.add(op);
                        }
                    }
                    if (pinnedIndexes.isEmpty()) {
                        return delegate.transact(operations);
                    }
                    return CompletableFuture.runAsync(() -> { }, later)
                            .thenCompose(v -> delegate.transact(pinned))
                            .exceptionallyCompose(e -> {
                                Throwable t = e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
                                if (t instanceof dev.polystore.ConditionFailedException cfe
                                        && cfe.operationIndex().isPresent()
                                        && pinnedIndexes.contains(cfe.operationIndex().getAsInt())) {
                                    return CompletableFuture.failedFuture(new dev.polystore.UnavailableException(
                                            "transaction lost a race with another writer; gave up after one round", t));
                                }
                                return CompletableFuture.failedFuture(t);
                            });
                }
            };
        }
    }

    /**
     * The API layer's cursors as they were before they were sealed (issue 11): base64url of
     * {@code "c1\n" + CRC-32 of the query + "\n" + sort key}. The CRC ties a cursor to its query,
     * but anyone can re-encode one with another sort key, and bytes appended after the key become
     * part of it.
     */
    static final class PlainTextCursors implements CursorCodec {
        private final boolean checksQuery;

        /** With {@code checksQuery} false, the CRC is not compared: a cursor resumes any query. */
        PlainTextCursors(boolean checksQuery) {
            this.checksQuery = checksQuery;
        }

        @Override
        public String encode(String table, String pk, KeyRange range, Direction direction, String lastSk) {
            String raw = "c1\n" + fingerprint(table, pk, range, direction) + "\n" + lastSk;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String decode(String cursor, String table, String pk, KeyRange range, Direction direction) {
            String raw;
            try {
                raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new ValidationException("malformed cursor", e);
            }
            String[] parts = raw.split("\n", 3);
            if (parts.length != 3 || !parts[0].equals("c1") || parts[2].isEmpty()) {
                throw new ValidationException("malformed cursor");
            }
            if (checksQuery && !parts[1].equals(fingerprint(table, pk, range, direction))) {
                throw new ValidationException("this cursor belongs to another query");
            }
            return parts[2];
        }

        private static String fingerprint(String table, String pk, KeyRange range, Direction direction) {
            CRC32 crc = new CRC32();
            crc.update((table + "\u0000" + pk + "\u0000" + range + "\u0000" + direction).getBytes(StandardCharsets.UTF_8));
            return Long.toHexString(crc.getValue());
        }
    }

    /** Answers queries by reading the whole partition and re-sorting and filtering it itself. */
    static final class ReQueryingBackend extends ForwardingStorageBackend {
        private final Comparator<String> order;
        private final BiPredicate<String, String> prefixMatch;

        ReQueryingBackend(StorageBackend delegate, Comparator<String> order, BiPredicate<String, String> prefixMatch) {
            super(delegate);
            this.order = order;
            this.prefixMatch = prefixMatch;
        }

        @Override
        public CompletableFuture<RawPage> query(QuerySpec q) {
            List<RawItem> all = new ArrayList<>();
            String start = null;
            while (true) {
                RawPage page = delegate.query(new QuerySpec(q.table(), q.pk(), KeyRange.all(), 1000, Direction.ASCENDING, start)).join();
                all.addAll(page.items());
                if (page.lastEvaluatedSk() == null) {
                    break;
                }
                start = page.lastEvaluatedSk();
            }
            Comparator<String> dir = q.direction() == Direction.ASCENDING ? order : order.reversed();
            all.sort((a, b) -> dir.compare(a.key().sk(), b.key().sk()));
            List<RawItem> out = new ArrayList<>();
            boolean more = false;
            for (RawItem item : all) {
                String sk = item.key().sk();
                if (q.exclusiveStartSk() != null && dir.compare(sk, q.exclusiveStartSk()) <= 0) {
                    continue;
                }
                if (!matches(sk, q.range())) {
                    continue;
                }
                if (out.size() == q.limit()) {
                    more = true;
                    break;
                }
                out.add(item);
            }
            return CompletableFuture.completedFuture(new RawPage(out, more ? out.get(out.size() - 1).key().sk() : null));
        }

        private boolean matches(String sk, KeyRange range) {
            if (range instanceof KeyRange.Prefix p) {
                return prefixMatch.test(sk, p.prefix());
            } else if (range instanceof KeyRange.Between b) {
                return order.compare(sk, b.from()) >= 0 && order.compare(sk, b.to()) <= 0;
            } else if (range instanceof KeyRange.AtLeast a) {
                return order.compare(sk, a.from()) >= 0;
            } else if (range instanceof KeyRange.AtMost a) {
                return order.compare(sk, a.to()) <= 0;
            }
            return true;
        }
    }
}
