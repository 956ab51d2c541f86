package dev.polystore.internal.domain;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polystore.Codec;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.DialogueStore;
import dev.polystore.Item;
import dev.polystore.JacksonCodec;
import dev.polystore.Key;
import dev.polystore.NotFoundException;
import dev.polystore.Page;
import dev.polystore.Query;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.StoreException;
import dev.polystore.Transaction;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import dev.polystore.dialogue.Dialogue;
import dev.polystore.dialogue.DialogueExport;
import dev.polystore.dialogue.DialoguePage;
import dev.polystore.dialogue.DialogueStatus;
import dev.polystore.dialogue.Perspective;
import dev.polystore.dialogue.Tension;
import dev.polystore.dialogue.TensionEvent;
import dev.polystore.dialogue.TensionStatus;
import dev.polystore.internal.Futures;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * {@link DialogueStore} over the public API. Item layout (table {@value #TABLE}):
 * <pre>
 * pk dlg#&lt;dialogue&gt;   sk D                          the dialogue (summary)
 * pk dlg#&lt;dialogue&gt;   sk P#&lt;perspective&gt;            a perspective
 * pk dlg#&lt;dialogue&gt;   sk T#&lt;tension&gt;#               a tension's current state (item version = tension version)
 * pk dlg#&lt;dialogue&gt;   sk T#&lt;tension&gt;#E#&lt;0000000001&gt;  the n-th event of its history
 * pk dlgidx#all        sk &lt;dialogue&gt;                 listing index, every dialogue (copy of the summary)
 * pk dlgidx#&lt;STATUS&gt;   sk &lt;dialogue&gt;                 listing index by status
 * </pre>
 * Every write is one transaction whose first operation rewrites the summary under
 * {@code ifVersion}: writes to one dialogue are serialized through it, the listing copies stay
 * equal to it, and an export can check that nothing changed while it read the partition.
 */
public final class DefaultDialogueStore implements DialogueStore {
    /** The table (store name) dialogues live in. */
    public static final String TABLE = "dialogues";

    static final String META_SK = "D";
    static final String INDEX_ALL = "dlgidx#all";
    private static final int EXPORT_ATTEMPTS = 8;

    private final Storage storage;
    private final Clock clock;
    private final ObjectMapper mapper = JacksonCodec.defaultMapper();
    private final Store<Dialogue> dialogues;
    private final Store<Perspective> perspectives;
    private final Store<TensionState> tensions;
    private final Store<TensionEvent> events;
    private final Store<byte[]> raw;

    /** A tension's current state as stored; its version is the item's version, its history separate items. */
    record TensionState(String id, String dialogueId, int round, String label, String description,
                        TensionStatus status) {
    }

    public DefaultDialogueStore(Storage storage, Clock clock) {
        this.storage = Objects.requireNonNull(storage, "storage");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.dialogues = storage.store(TABLE, Dialogue.class);
        this.perspectives = storage.store(TABLE, Perspective.class);
        this.tensions = storage.store(TABLE, TensionState.class);
        this.events = storage.store(TABLE, TensionEvent.class);
        this.raw = storage.store(TABLE, Codec.bytes());
    }

    static String pk(String dialogueId) {
        return "dlg#" + dialogueId;
    }

    static String perspectiveSk(String id) {
        return "P#" + id;
    }

    static String tensionSk(String id) {
        return "T#" + id + "#";
    }

    static String eventSk(String tensionId, long seq) {
        return tensionSk(tensionId) + "E#" + String.format("%010d", seq);
    }

    static String indexPk(DialogueStatus status) {
        return "dlgidx#" + status.name();
    }

    // --- dialogues ---

    @Override
    public CompletableFuture<Dialogue> createDialogue(String id, String title) {
        return guarded(() -> {
            Ids.requireId("dialogue id", id);
            Ids.requireText("title", title);
            Instant now = clock.instant();
            Dialogue d = new Dialogue(id, title, DialogueStatus.ACTIVE, now, now, 0);
            Transaction tx = storage.transaction()
                    .put(dialogues, Item.of(pk(id), META_SK, d), Condition.ifAbsent());
            putIndex(tx, d);
            CompletableFuture<Dialogue> created = tx.commit().handle((v, e) -> {
                if (e == null) {
                    return d;
                }
                Throwable cause = Futures.unwrap(e);
                if (cause instanceof ConditionFailedException) {
                    // The only condition is on the dialogue item: its id is taken. Said in the
                    // domain's words, without the index of an operation the caller never built.
                    throw dialogueExists(id);
                }
                throw asStoreException(cause);
            });
            return DomainErrors.write(created, "creating dialogue '" + id + "'", Key.of(pk(id), META_SK));
        });
    }

    private static ConditionFailedException dialogueExists(String id) {
        return new ConditionFailedException("dialogue '" + id + "' already exists", Key.of(pk(id), META_SK));
    }

    @Override
    public CompletableFuture<Optional<Dialogue>> getDialogue(String id) {
        return guarded(() -> dialogues.get(pk(Ids.requireId("dialogue id", id)), META_SK)
                .thenApply(found -> found.map(Item::value)));
    }

    @Override
    public CompletableFuture<Dialogue> updateDialogueStatus(String id, DialogueStatus status) {
        return guarded(() -> {
            Ids.requireId("dialogue id", id);
            Objects.requireNonNull(status, "status");
            return DomainErrors.write(Retries.withRetries("updateDialogueStatus(" + id + ")",
                    () -> requireMeta(id).thenCompose(meta -> {
                        Dialogue current = meta.value();
                        if (current.status() == status) {
                            return CompletableFuture.completedFuture(current);
                        }
                        Dialogue next = new Dialogue(id, current.title(), status, current.createdAt(), clock.instant(),
                                current.rounds());
                        Transaction tx = metaWrite(meta, next);
                        return commit(tx, () -> Retries.retry("summary changed")).thenApply(v -> next);
                    })), "moving dialogue '" + id + "' to " + status, Key.of(pk(id), META_SK));
        });
    }

    // --- perspectives ---

    @Override
    public CompletableFuture<Perspective> registerPerspective(Perspective p) {
        return guarded(() -> {
            Objects.requireNonNull(p, "perspective");
            Ids.requireId("dialogue id", p.dialogueId());
            Ids.requireId("perspective id", p.id());
            Ids.requireRound("perspective round", p.round());
            Ids.requireNonBlank("perspective expert", p.expert());
            String dialogueId = p.dialogueId();
            return DomainErrors.write(Retries.withRetries("registerPerspective(" + dialogueId + ", " + p.id() + ")",
                    () -> requireMeta(dialogueId).thenCompose(meta -> {
                        Dialogue next = touched(meta.value(), p.round());
                        Transaction tx = metaWrite(meta, next)
                                .put(perspectives, Item.of(pk(dialogueId), perspectiveSk(p.id()), p), Condition.ifAbsent());
                        return commit(tx, () -> perspectives.get(pk(dialogueId), perspectiveSk(p.id())).thenCompose(found ->
                                found.isPresent() ? CompletableFuture.failedFuture(perspectiveExists(p))
                                        : Retries.retry("summary changed")))
                                .thenApply(v -> p);
                    })), "registering perspective '" + p.id() + "' in dialogue '" + dialogueId + "'",
                    Key.of(pk(dialogueId), perspectiveSk(p.id())));
        });
    }

    private static ConditionFailedException perspectiveExists(Perspective p) {
        return new ConditionFailedException("perspective '" + p.id() + "' already exists in dialogue '"
                + p.dialogueId() + "'", Key.of(pk(p.dialogueId()), perspectiveSk(p.id())));
    }

    @Override
    public CompletableFuture<Optional<Perspective>> getPerspective(String dialogueId, String perspectiveId) {
        return guarded(() -> perspectives.get(pk(Ids.requireId("dialogue id", dialogueId)),
                        perspectiveSk(Ids.requireId("perspective id", perspectiveId)))
                .thenApply(found -> found.map(Item::value)));
    }

    // --- tensions ---

    @Override
    public CompletableFuture<Tension> registerTension(String dialogueId, String tensionId, int round, String label,
                                                      String description, String raisedBy) {
        return guarded(() -> {
            Ids.requireId("dialogue id", dialogueId);
            Ids.requireId("tension id", tensionId);
            Ids.requireRound("tension round", round);
            Ids.requireText("tension label", label);
            Ids.requireText("tension description", description);
            Ids.requireNonBlank("raisedBy", raisedBy);
            TensionState state = new TensionState(tensionId, dialogueId, round, label, description, TensionStatus.OPEN);
            String pk = pk(dialogueId);
            return DomainErrors.write(Retries.withRetries("registerTension(" + dialogueId + ", " + tensionId + ")",
                    () -> requireMeta(dialogueId).thenCompose(meta -> {
                        TensionEvent raised = new TensionEvent(null, TensionStatus.OPEN, raisedBy, clock.instant(), round,
                                "raised");
                        Transaction tx = metaWrite(meta, touched(meta.value(), round))
                                .put(tensions, Item.of(pk, tensionSk(tensionId), state), Condition.ifAbsent())
                                .put(events, Item.of(pk, eventSk(tensionId, 1), raised), Condition.ifAbsent());
                        return commit(tx, () -> tensions.get(pk, tensionSk(tensionId)).thenCompose(found ->
                                found.isPresent() ? CompletableFuture.failedFuture(tensionExists(dialogueId, tensionId))
                                        : Retries.retry("summary changed")))
                                .thenApply(v -> toTension(state, 1, List.of(raised)));
                    })), "registering tension '" + tensionId + "' in dialogue '" + dialogueId + "'",
                    Key.of(pk, tensionSk(tensionId)));
        });
    }

    private static ConditionFailedException tensionExists(String dialogueId, String tensionId) {
        return new ConditionFailedException("tension '" + tensionId + "' already exists in dialogue '" + dialogueId + "'",
                Key.of(pk(dialogueId), tensionSk(tensionId)));
    }

    @Override
    public CompletableFuture<Tension> updateTensionStatus(String dialogueId, String tensionId, long expectedVersion,
                                                          TensionEvent event) {
        return guarded(() -> {
            Ids.requireId("dialogue id", dialogueId);
            Ids.requireId("tension id", tensionId);
            Objects.requireNonNull(event, "event");
            Ids.requireNonBlank("event actor", event.actor());
            Ids.requireRound("event round", event.round());
            if (expectedVersion < 1) {
                throw new ValidationException("expectedVersion must be 1 or more (a tension starts at version 1), got "
                        + expectedVersion);
            }
            String pk = pk(dialogueId);
            String operation = "updateTensionStatus(" + dialogueId + ", " + tensionId + ")";
            // Only read, check and commit are retried. Once the commit succeeded the answer is built
            // from what was committed: re-reading inside the retry would meet the caller's own new
            // version and report it as a conflict.
            CompletableFuture<Tension> updated = Retries.withRetries(operation, () -> requireMeta(dialogueId)
                    .thenCombine(tensions.get(pk, tensionSk(tensionId)), MetaAndTension::new)
                    .thenCompose(read -> {
                        Item<Dialogue> meta = read.meta();
                        Item<TensionState> current = read.tension().orElseThrow(() -> new NotFoundException("tension '"
                                + tensionId + "' does not exist in dialogue '" + dialogueId + "'"));
                        if (current.version() != expectedVersion) {
                            throw staleTension(dialogueId, tensionId, expectedVersion, current.version());
                        }
                        TensionStatus from = current.value().status();
                        if (!from.canMoveTo(event.to())) {
                            throw new ValidationException("tension '" + tensionId + "' of dialogue '" + dialogueId
                                    + "' cannot move from " + from + " to " + event.to() + "; allowed from " + from
                                    + ": " + sorted(from));
                        }
                        TensionState next = new TensionState(tensionId, dialogueId, current.value().round(),
                                current.value().label(), current.value().description(), event.to());
                        TensionEvent recorded = new TensionEvent(from, event.to(), event.actor(), event.at(),
                                event.round(), event.reason());
                        // Events 1..expectedVersion exist once the tension is at that version and never
                        // change, so the history read now is the history the commit extends.
                        return history(dialogueId, tensionId, expectedVersion).thenCompose(earlier -> {
                            Transaction tx = metaWrite(meta, touched(meta.value(), event.round()))
                                    .put(tensions, Item.of(pk, tensionSk(tensionId), next),
                                            Condition.ifVersion(expectedVersion))
                                    .put(events, Item.of(pk, eventSk(tensionId, expectedVersion + 1), recorded),
                                            Condition.ifAbsent());
                            List<TensionEvent> history = new ArrayList<>(earlier);
                            history.add(recorded);
                            return commit(tx, () -> tensions.get(pk, tensionSk(tensionId)).thenCompose(found -> {
                                long now = found.map(Item::version).orElse(0L);
                                return now != expectedVersion
                                        ? CompletableFuture.failedFuture(staleTension(dialogueId, tensionId,
                                        expectedVersion, now))
                                        : Retries.retry("summary changed");
                            })).thenApply(v -> toTension(next, expectedVersion + 1, List.copyOf(history)));
                        });
                    }));
            return DomainErrors.write(updated, "updating tension '" + tensionId + "' of dialogue '" + dialogueId
                    + "' from version " + expectedVersion, Key.of(pk, tensionSk(tensionId)));
        });
    }

    private record MetaAndTension(Item<Dialogue> meta, Optional<Item<TensionState>> tension) {
    }

    private static List<TensionStatus> sorted(TensionStatus from) {
        return from.allowedNext().stream().sorted().toList();
    }

    private static ConditionFailedException staleTension(String dialogueId, String tensionId, long expected, long actual) {
        return new ConditionFailedException("tension '" + tensionId + "' of dialogue '" + dialogueId + "' is at version "
                + actual + ", not " + expected + ": it changed since it was read", Key.of(pk(dialogueId), tensionSk(tensionId)));
    }

    /** Events 1..{@code upTo} of a tension (all exist once its item reached that version). */
    private CompletableFuture<List<TensionEvent>> history(String dialogueId, String tensionId, long upTo) {
        List<TensionEvent> out = new ArrayList<>();
        Query q = Query.partition(pk(dialogueId)).prefix(tensionSk(tensionId) + "E#").limit(1000);
        return events.forEach(q, item -> {
            if (out.size() < upTo) {
                out.add(item.value());
            }
        }).thenApply(n -> List.copyOf(out));
    }

    @Override
    public CompletableFuture<Optional<Tension>> getTension(String dialogueId, String tensionId) {
        return guarded(() -> {
            Ids.requireId("dialogue id", dialogueId);
            Ids.requireId("tension id", tensionId);
            return readPartition(dialogueId, tensionSk(tensionId)).thenApply(items -> {
                Map<String, Tension> found = assembleTensions(items);
                return Optional.ofNullable(found.get(tensionId));
            });
        });
    }

    // --- export and listing ---

    @Override
    public CompletableFuture<DialogueExport> exportDialogue(String id) {
        return guarded(() -> {
            Ids.requireId("dialogue id", id);
            return export(id, 1);
        });
    }

    private CompletableFuture<DialogueExport> export(String id, int attempt) {
        return readPartition(id, "").thenCompose(items -> {
            if (items.isEmpty() || !items.get(0).sk().equals(META_SK)) {
                return CompletableFuture.failedFuture(new NotFoundException("dialogue '" + id + "' does not exist"));
            }
            Item<byte[]> metaItem = items.get(0);
            Dialogue dialogue = decode(metaItem, Dialogue.class);
            List<Perspective> ps = new ArrayList<>();
            for (Item<byte[]> item : items) {
                if (item.sk().startsWith("P#")) {
                    ps.add(decode(item, Perspective.class));
                }
            }
            List<Tension> ts = new ArrayList<>(assembleTensions(items).values());
            // Every write rewrites the summary: if its version is unchanged, nothing changed while we read.
            return dialogues.get(pk(id), META_SK).thenCompose(now -> {
                if (now.isPresent() && now.get().version() == metaItem.version()) {
                    return CompletableFuture.completedFuture(
                            new DialogueExport(DialogueExport.FORMAT_VERSION, dialogue, ps, ts));
                }
                if (attempt >= EXPORT_ATTEMPTS) {
                    return CompletableFuture.failedFuture(new UnavailableException("dialogue '" + id + "' changed "
                            + "during each of " + attempt + " export attempts; try again", null));
                }
                return export(id, attempt + 1);
            });
        });
    }

    @Override
    public CompletableFuture<DialoguePage> listDialogues(DialogueStatus status, int limit, String cursor) {
        return guarded(() -> {
            Query q = Query.partition(status == null ? INDEX_ALL : indexPk(status)).limit(limit).after(cursor);
            return dialogues.query(q).thenApply((Page<Dialogue> page) -> new DialoguePage(
                    page.items().stream().map(Item::value).toList(), page.cursor()));
        });
    }

    // --- helpers ---

    private CompletableFuture<List<Item<byte[]>>> readPartition(String dialogueId, String prefix) {
        List<Item<byte[]>> out = new ArrayList<>();
        Query q = Query.partition(pk(dialogueId)).limit(1000);
        if (!prefix.isEmpty()) {
            q = q.prefix(prefix);
        }
        return raw.forEach(q, out::add).thenApply(n -> out);
    }

    /** Tensions with their histories from items of a dialogue partition, keyed and ordered by id. */
    private Map<String, Tension> assembleTensions(List<Item<byte[]>> items) {
        Map<String, Tension> out = new LinkedHashMap<>();
        TensionState state = null;
        long version = 0;
        List<TensionEvent> history = new ArrayList<>();
        for (Item<byte[]> item : items) {
            String sk = item.sk();
            if (!sk.startsWith("T#")) {
                continue;
            }
            if (sk.endsWith("#") && sk.indexOf('#', 2) == sk.length() - 1) {
                if (state != null) {
                    out.put(state.id(), toTension(state, version, history));
                }
                state = decode(item, TensionState.class);
                version = item.version();
                history = new ArrayList<>();
            } else if (state != null && sk.startsWith(tensionSk(state.id()) + "E#") && history.size() < version) {
                // Events beyond the state's version belong to a write that landed after the state was read.
                history.add(decode(item, TensionEvent.class));
            }
        }
        if (state != null) {
            out.put(state.id(), toTension(state, version, history));
        }
        return out;
    }

    private static Tension toTension(TensionState s, long version, List<TensionEvent> history) {
        return new Tension(s.id(), s.dialogueId(), s.round(), s.label(), s.description(), s.status(), version, history);
    }

    private <T> T decode(Item<byte[]> item, Class<T> type) {
        try {
            return mapper.readValue(item.value(), type);
        } catch (IOException e) {
            throw new dev.polystore.CodecException("cannot decode item " + item.key() + " of store '" + TABLE
                    + "' as " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    private CompletableFuture<Item<Dialogue>> requireMeta(String dialogueId) {
        return dialogues.get(pk(dialogueId), META_SK).thenApply(found -> found.orElseThrow(() ->
                new NotFoundException("dialogue '" + dialogueId + "' does not exist")));
    }

    private Dialogue touched(Dialogue d, int round) {
        return new Dialogue(d.id(), d.title(), d.status(), d.createdAt(), clock.instant(), Math.max(d.rounds(), round));
    }

    /**
     * A transaction whose operation 0 rewrites the summary from {@code meta} (by version) to
     * {@code next}, and which moves the listing index entries along.
     */
    private Transaction metaWrite(Item<Dialogue> meta, Dialogue next) {
        Transaction tx = storage.transaction()
                .put(dialogues, Item.of(meta.key(), next), Condition.ifVersion(meta.version()));
        if (meta.value().status() != next.status()) {
            tx.delete(dialogues, Key.of(indexPk(meta.value().status()), next.id()));
        }
        putIndex(tx, next);
        return tx;
    }

    private void putIndex(Transaction tx, Dialogue d) {
        tx.put(dialogues, Item.of(INDEX_ALL, d.id(), d)).put(dialogues, Item.of(indexPk(d.status()), d.id(), d));
    }

    /**
     * Commits; a failed condition on operation 0 (the summary) means another write to the same
     * dialogue came first, and asks for a retry; a failed condition elsewhere, or an unknown
     * one, is explained by {@code explain} (which re-reads and fails with the caller's error or
     * asks for a retry).
     */
    private CompletableFuture<List<Long>> commit(Transaction tx, Supplier<CompletableFuture<Void>> explain) {
        return tx.commit().handle((versions, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(versions);
            }
            Throwable cause = Futures.unwrap(e);
            if (cause instanceof ConditionFailedException cf) {
                if (cf.operationIndex().isPresent() && cf.operationIndex().getAsInt() == 0) {
                    return Retries.<List<Long>>retry("summary changed");
                }
                return explain.get().thenApply(v -> versions);
            }
            return CompletableFuture.<List<Long>>failedFuture(cause);
        }).thenCompose(f -> f);
    }

    private static StoreException asStoreException(Throwable t) {
        return t instanceof StoreException se ? se : new StoreException(String.valueOf(t.getMessage()), t);
    }

    /** Runs {@code body}, turning synchronous validation failures into failed futures. */
    static <T> CompletableFuture<T> guarded(Supplier<CompletableFuture<T>> body) {
        try {
            return body.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
