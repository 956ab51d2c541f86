package dev.polystore.testkit.domain;

import static dev.polystore.testkit.domain.Await.await;
import static dev.polystore.testkit.domain.Await.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polystore.Capability;
import dev.polystore.ConditionFailedException;
import dev.polystore.DialogueStore;
import dev.polystore.Key;
import dev.polystore.NotFoundException;
import dev.polystore.UnsupportedCapabilityException;
import dev.polystore.ValidationException;
import dev.polystore.dialogue.Dialogue;
import dev.polystore.dialogue.DialogueExport;
import dev.polystore.dialogue.DialoguePage;
import dev.polystore.dialogue.DialogueStatus;
import dev.polystore.dialogue.Perspective;
import dev.polystore.dialogue.Tension;
import dev.polystore.dialogue.TensionEvent;
import dev.polystore.dialogue.TensionStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Contract of {@link DialogueStore} ({@code Storage.dialogues()}): round-trips, id clashes,
 * status transitions, concurrent tension updates (exactly one wins per version), export and its
 * JSON round-trip, listing by status across pages.
 *
 * <p><b>Implementors must provide</b> {@link #config(java.nio.file.Path)} (see
 * {@link DomainContract}): a backend module subclasses this class in its {@code src/test} with
 * those few lines and runs it in {@code mvn verify}.
 *
 * <p><b>Implementors may override</b> {@link #afterClose()} and {@link #racers()}, the number of
 * concurrent writers in the race tests (default 8).
 *
 * <p>The dialogue store requires {@link Capability#TRANSACTIONS}: on a backend without them every
 * test here is skipped with an assumption naming the capability, and the group "without
 * TRANSACTIONS" checks instead that {@code Storage.dialogues()} fails with
 * {@link UnsupportedCapabilityException}. Tests use dialogue ids unique to each test, so the
 * storage may be shared (one DynamoDB Local table for the whole run).
 */
public abstract class DialogueStoreContract extends DomainContract {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The store under test (null when the backend lacks TRANSACTIONS). */
    protected DialogueStore dialogues;

    /** Concurrent writers in the race tests. */
    protected int racers() {
        return 8;
    }

    @BeforeEach
    void openDialogues() {
        if (storage.capabilities().has(Capability.TRANSACTIONS)) {
            dialogues = storage.dialogues();
        }
    }

    /** A dialogue id unique to this test. */
    protected String id(String name) {
        return tag + "-" + name;
    }

    private void requireTransactions() {
        assumeCapability(Capability.TRANSACTIONS);
    }

    private TensionEvent event(TensionStatus to, String actor, int round, String reason) {
        return new TensionEvent(null, to, actor, clock.instant(), round, reason);
    }

    /**
     * A domain store's condition failure speaks of the domain: the entity that clashed, its key, and
     * no index of an operation in a transaction the caller never built (nor such an error as cause).
     */
    static void assertSpeaksOfTheDomain(ConditionFailedException e, String names, Key key) {
        assertTrue(e.getMessage().contains(names), "the message names " + names + ": " + e.getMessage());
        assertEquals(Optional.of(key), e.key(), "the key of the entity that clashed");
        assertEquals(java.util.OptionalInt.empty(), e.operationIndex(),
                "no index of an operation the caller never built: " + e);
        assertFalse(e.getCause() instanceof ConditionFailedException,
                "no internal transaction's condition failure as cause: " + e.getCause());
    }

    @Nested
    @DisplayName("dialogues")
    class Dialogues {
        @BeforeEach
        void needsTransactions() {
            requireTransactions();
        }

        @Test
        @DisplayName("Storage.dialogues() returns one store per Storage")
        void oneStore() {
            assertSame(dialogues, storage.dialogues());
        }

        @Test
        @DisplayName("a created dialogue reads back active, with 0 rounds and the storage clock's time")
        void createAndGet() {
            Dialogue created = await(dialogues.createDialogue(id("d"), "Storage engines"));
            assertEquals(new Dialogue(id("d"), "Storage engines", DialogueStatus.ACTIVE, clock.instant(), clock.instant(), 0),
                    created);
            assertEquals(Optional.of(created), await(dialogues.getDialogue(id("d"))));
        }

        @Test
        @DisplayName("an unknown dialogue reads as empty; operations on it fail with NotFoundException")
        void unknown() {
            assertEquals(Optional.empty(), await(dialogues.getDialogue(id("none"))));
            failure(NotFoundException.class, dialogues.registerPerspective(
                    new Perspective("P01", id("none"), 1, "ada", "l", "b")));
            failure(NotFoundException.class, dialogues.registerTension(id("none"), "T01", 1, "l", "d", "ada"));
            failure(NotFoundException.class, dialogues.updateTensionStatus(id("none"), "T01", 1,
                    event(TensionStatus.RESOLVED, "ada", 1, "r")));
            failure(NotFoundException.class, dialogues.exportDialogue(id("none")));
            failure(NotFoundException.class, dialogues.updateDialogueStatus(id("none"), DialogueStatus.ARCHIVED));
        }

        @Test
        @DisplayName("creating a dialogue whose id exists fails with ConditionFailedException naming the id, and changes nothing")
        void duplicate() {
            Dialogue first = await(dialogues.createDialogue(id("d"), "first"));
            clock.advance(Duration.ofSeconds(5));
            ConditionFailedException e = failure(ConditionFailedException.class, dialogues.createDialogue(id("d"), "second"));
            assertSpeaksOfTheDomain(e, "dialogue '" + id("d") + "'", Key.of("dlg#" + id("d"), "D"));
            assertEquals(Optional.of(first), await(dialogues.getDialogue(id("d"))));
        }

        @Test
        @DisplayName("malformed ids and rounds below 1 fail with ValidationException naming the rule")
        void badInput() {
            ValidationException e = failure(ValidationException.class, dialogues.createDialogue("has space", "t"));
            assertTrue(e.getMessage().contains("A-Z a-z 0-9"), e.getMessage());
            failure(ValidationException.class, dialogues.createDialogue("a#b", "t"));
            failure(ValidationException.class, dialogues.createDialogue("", "t"));
            await(dialogues.createDialogue(id("d"), "t"));
            failure(ValidationException.class, dialogues.registerPerspective(
                    new Perspective("P01", id("d"), 0, "ada", "l", "b")));
            failure(ValidationException.class, dialogues.registerTension(id("d"), "T 1", 1, "l", "d", "ada"));
        }

        @Test
        @DisplayName("a status change is stored and the same status again is a no-op")
        void statusChange() {
            await(dialogues.createDialogue(id("d"), "t"));
            clock.advance(Duration.ofMinutes(1));
            Dialogue concluded = await(dialogues.updateDialogueStatus(id("d"), DialogueStatus.CONCLUDED));
            assertEquals(DialogueStatus.CONCLUDED, concluded.status());
            assertEquals(clock.instant(), concluded.updatedAt());
            assertEquals(Optional.of(concluded), await(dialogues.getDialogue(id("d"))));
            clock.advance(Duration.ofMinutes(1));
            assertEquals(concluded, await(dialogues.updateDialogueStatus(id("d"), DialogueStatus.CONCLUDED)));
        }
    }

    @Nested
    @DisplayName("perspectives and tensions")
    class PerspectivesAndTensions {
        @BeforeEach
        void needsTransactions() {
            requireTransactions();
            await(dialogues.createDialogue(id("d"), "Dialogue"));
        }

        @Test
        @DisplayName("a perspective round-trips and raises the dialogue's round count and updatedAt")
        void perspective() {
            clock.advance(Duration.ofSeconds(30));
            Perspective p = new Perspective("P01", id("d"), 3, "ada", "Single table", "One table, many entities.");
            assertEquals(p, await(dialogues.registerPerspective(p)));
            assertEquals(Optional.of(p), await(dialogues.getPerspective(id("d"), "P01")));
            Dialogue d = Await.found(dialogues.getDialogue(id("d")), "dialogues.getDialogue(id(\"d\"))");
            assertEquals(3, d.rounds());
            assertEquals(clock.instant(), d.updatedAt());
            await(dialogues.registerPerspective(new Perspective("P02", id("d"), 1, "bob", "x", "y")));
            assertEquals(3, Await.found(dialogues.getDialogue(id("d")), "dialogues.getDialogue(id(\"d\"))").rounds());
        }

        @Test
        @DisplayName("a perspective id that clashes fails with ConditionFailedException and keeps the first")
        void perspectiveClash() {
            Perspective p = new Perspective("P01", id("d"), 1, "ada", "first", "b");
            await(dialogues.registerPerspective(p));
            ConditionFailedException e = failure(ConditionFailedException.class, dialogues.registerPerspective(
                    new Perspective("P01", id("d"), 2, "bob", "second", "b")));
            assertSpeaksOfTheDomain(e, "perspective 'P01'", Key.of("dlg#" + id("d"), "P#P01"));
            assertEquals(Optional.of(p), await(dialogues.getPerspective(id("d"), "P01")));
        }

        @Test
        @DisplayName("a raised tension is open at version 1 with one event; a clashing id fails")
        void tension() {
            Tension t = await(dialogues.registerTension(id("d"), "T01", 2, "Cost", "Is it cheap?", "ada"));
            assertEquals(TensionStatus.OPEN, t.status());
            assertEquals(1, t.version());
            assertEquals(List.of(new TensionEvent(null, TensionStatus.OPEN, "ada", clock.instant(), 2, "raised")),
                    t.history());
            assertEquals(Optional.of(t), await(dialogues.getTension(id("d"), "T01")));
            ConditionFailedException e = failure(ConditionFailedException.class,
                    dialogues.registerTension(id("d"), "T01", 1, "x", "y", "bob"));
            assertSpeaksOfTheDomain(e, "tension 'T01'", Key.of("dlg#" + id("d"), "T#T01#"));
            assertEquals(Optional.of(t), await(dialogues.getTension(id("d"), "T01")));
            assertEquals(Optional.empty(), await(dialogues.getTension(id("d"), "T02")));
        }

        @Test
        @DisplayName("status updates append events with who, when, round and why, and bump the version")
        void statusUpdates() {
            await(dialogues.registerTension(id("d"), "T01", 1, "Cost", "Is it cheap?", "ada"));
            clock.advance(Duration.ofMinutes(5));
            Tension addressed = await(dialogues.updateTensionStatus(id("d"), "T01", 1,
                    event(TensionStatus.ADDRESSED, "bob", 2, "benchmarked")));
            clock.advance(Duration.ofMinutes(5));
            Tension resolved = await(dialogues.updateTensionStatus(id("d"), "T01", 2,
                    new TensionEvent(TensionStatus.DEFERRED, TensionStatus.RESOLVED, "cy", clock.instant(), 3, "agreed")));
            assertEquals(2, addressed.version());
            assertEquals(3, resolved.version());
            assertEquals(TensionStatus.RESOLVED, resolved.status());
            List<TensionEvent> h = resolved.history();
            assertEquals(3, h.size());
            assertEquals(new TensionEvent(TensionStatus.OPEN, TensionStatus.ADDRESSED, "bob",
                    clock.instant().minus(Duration.ofMinutes(5)), 2, "benchmarked"), h.get(1));
            assertEquals(TensionStatus.ADDRESSED, h.get(2).from(), "event.from() is recorded as the status replaced");
            assertEquals(Optional.of(resolved), await(dialogues.getTension(id("d"), "T01")));
            assertEquals(3, Await.found(dialogues.getDialogue(id("d")), "dialogues.getDialogue(id(\"d\"))").rounds());
        }

        @Test
        @DisplayName("an invalid transition fails with ValidationException naming the allowed statuses")
        void invalidTransition() {
            await(dialogues.registerTension(id("d"), "T01", 1, "Cost", "d", "ada"));
            await(dialogues.updateTensionStatus(id("d"), "T01", 1, event(TensionStatus.DEFERRED, "bob", 1, "later")));
            ValidationException e = failure(ValidationException.class, dialogues.updateTensionStatus(id("d"), "T01", 2,
                    event(TensionStatus.RESOLVED, "bob", 1, "done")));
            assertTrue(e.getMessage().contains("DEFERRED") && e.getMessage().contains("[OPEN]"), e.getMessage());
            assertEquals(2, Await.found(dialogues.getTension(id("d"), "T01"), "dialogues.getTension(id(\"d\"), \"T01\")").history().size());
        }

        @Test
        @DisplayName("an update from a stale version fails with ConditionFailedException and writes no event")
        void staleVersion() {
            await(dialogues.registerTension(id("d"), "T01", 1, "Cost", "d", "ada"));
            await(dialogues.updateTensionStatus(id("d"), "T01", 1, event(TensionStatus.ADDRESSED, "bob", 1, "a")));
            ConditionFailedException e = failure(ConditionFailedException.class, dialogues.updateTensionStatus(id("d"),
                    "T01", 1, event(TensionStatus.RESOLVED, "cy", 1, "b")));
            assertSpeaksOfTheDomain(e, "tension 'T01'", Key.of("dlg#" + id("d"), "T#T01#"));
            assertTrue(e.getMessage().contains("version 2, not 1"), e.getMessage());
            Tension t = Await.found(dialogues.getTension(id("d"), "T01"), "dialogues.getTension(id(\"d\"), \"T01\")");
            assertEquals(2, t.version());
            assertEquals(2, t.history().size());
            failure(NotFoundException.class, dialogues.updateTensionStatus(id("d"), "T09", 1,
                    event(TensionStatus.RESOLVED, "cy", 1, "b")));
        }

        @Test
        @DisplayName("of concurrent updates from one version exactly one wins, round after round")
        void concurrentUpdates() {
            await(dialogues.registerTension(id("d"), "T01", 1, "Cost", "d", "ada"));
            TensionStatus status = TensionStatus.OPEN;
            for (long version = 1; version <= 4; version++) {
                TensionStatus to = status == TensionStatus.OPEN ? TensionStatus.ADDRESSED : TensionStatus.OPEN;
                long v = version;
                List<Callable<CompletableFuture<?>>> calls = new ArrayList<>();
                for (int i = 0; i < racers(); i++) {
                    String actor = "expert" + i;
                    calls.add(() -> dialogues.updateTensionStatus(id("d"), "T01", v, event(to, actor, 1, "race")));
                }
                List<Throwable> outcomes = Await.race(calls);
                assertEquals(1, outcomes.stream().filter(o -> o == null).count(), "winners in round " + v + ": " + outcomes);
                outcomes.stream().filter(o -> o != null).forEach(o -> assertTrue(o instanceof ConditionFailedException,
                        "losers must fail with ConditionFailedException, got " + o));
                Tension t = Await.found(dialogues.getTension(id("d"), "T01"), "dialogues.getTension(id(\"d\"), \"T01\")");
                assertEquals(v + 1, t.version());
                assertEquals(v + 1, t.history().size(), "exactly one event per winning update");
                assertEquals(to, t.status());
                status = to;
            }
        }

        @Test
        @DisplayName("concurrent registrations of distinct perspectives in one dialogue all succeed")
        void concurrentRegistrations() {
            List<Callable<CompletableFuture<?>>> calls = new ArrayList<>();
            for (int i = 0; i < racers(); i++) {
                Perspective p = new Perspective(String.format("P%02d", i), id("d"), i + 1, "e" + i, "l", "b");
                calls.add(() -> dialogues.registerPerspective(p));
            }
            List<Throwable> outcomes = Await.race(calls);
            outcomes.forEach(o -> assertNull(o, "every registration succeeds: " + o));
            DialogueExport export = await(dialogues.exportDialogue(id("d")));
            assertEquals(racers(), export.perspectives().size());
            assertEquals(racers(), export.dialogue().rounds());
        }
    }

    @Nested
    @DisplayName("export")
    class Export {
        @BeforeEach
        void needsTransactions() {
            requireTransactions();
        }

        private DialogueExport build() {
            Dialogue d = await(dialogues.createDialogue(id("d"), "Which engine?"));
            Perspective p2 = await(dialogues.registerPerspective(new Perspective("P02", id("d"), 1, "bob", "Dynamo",
                    "Scales out. \"Quoted\", unicode: é ✓ 𝄞")));
            Perspective p1 = await(dialogues.registerPerspective(new Perspective("P01", id("d"), 1, "ada", "SQLite",
                    "Embedded.\nTwo lines.")));
            clock.advance(Duration.ofHours(1));
            await(dialogues.registerTension(id("d"), "T02", 2, "Ops", "Who runs it?", "cy"));
            await(dialogues.registerTension(id("d"), "T01", 1, "Cost", "Is it cheap?", "ada"));
            await(dialogues.updateTensionStatus(id("d"), "T01", 1, event(TensionStatus.ADDRESSED, "bob", 2, "numbers")));
            clock.advance(Duration.ofHours(1));
            await(dialogues.updateTensionStatus(id("d"), "T01", 2, event(TensionStatus.RESOLVED, "ada", 3, "agreed")));
            await(dialogues.updateTensionStatus(id("d"), "T02", 1, event(TensionStatus.DEFERRED, "cy", 3, "later")));
            assertEquals(DialogueStatus.ACTIVE, d.status());
            assertEquals(List.of("P01", "P02"), List.of(p1.id(), p2.id()));
            return await(dialogues.exportDialogue(id("d")));
        }

        @Test
        @DisplayName("export holds the dialogue, every perspective and tension with full history, ordered by id")
        void exportContents() {
            DialogueExport e = build();
            assertEquals(DialogueExport.FORMAT_VERSION, e.formatVersion());
            assertEquals(Await.found(dialogues.getDialogue(id("d")), "dialogues.getDialogue(id(\"d\"))"), e.dialogue());
            assertEquals(3, e.dialogue().rounds());
            assertEquals(List.of("P01", "P02"), e.perspectives().stream().map(Perspective::id).toList());
            assertEquals(List.of("T01", "T02"), e.tensions().stream().map(Tension::id).toList());
            assertEquals(List.of(Await.found(dialogues.getTension(id("d"), "T01"), "dialogues.getTension(id(\"d\"), \"T01\")"),
                    Await.found(dialogues.getTension(id("d"), "T02"), "dialogues.getTension(id(\"d\"), \"T02\")")), e.tensions());
            Tension t1 = e.tensions().get(0);
            assertEquals(List.of(TensionStatus.OPEN, TensionStatus.ADDRESSED, TensionStatus.RESOLVED),
                    t1.history().stream().map(TensionEvent::to).toList());
            assertEquals(3, t1.version());
        }

        @Test
        @DisplayName("the JSON form round-trips to an equal value and has the documented fields")
        void jsonRoundTrip() throws Exception {
            DialogueExport e = build();
            String json = e.toJson();
            assertEquals(e, DialogueExport.fromJson(json));
            JsonNode tree = JSON.readTree(json);
            assertEquals(1, tree.get("formatVersion").asInt());
            assertEquals(id("d"), tree.get("dialogue").get("id").asText());
            assertEquals("ACTIVE", tree.get("dialogue").get("status").asText());
            assertTrue(tree.get("dialogue").get("createdAt").isTextual(), "instants are ISO-8601 strings");
            Instant.parse(tree.get("dialogue").get("createdAt").asText());
            JsonNode firstEvent = tree.get("tensions").get(0).get("history").get(0);
            assertTrue(firstEvent.get("from").isNull());
            assertEquals("OPEN", firstEvent.get("to").asText());
            assertEquals(Set.of("id", "dialogueId", "round", "expert", "label", "body"),
                    fieldNames(tree.get("perspectives").get(0)));
        }

        @Test
        @DisplayName("JSON of another format version fails with ValidationException")
        void otherFormat() {
            String json = build().toJson().replace("\"formatVersion\":1", "\"formatVersion\":99");
            assertThrows(ValidationException.class, () -> DialogueExport.fromJson(json));
            assertThrows(ValidationException.class, () -> DialogueExport.fromJson("{not json"));
        }

        private Set<String> fieldNames(JsonNode node) {
            Set<String> names = new TreeSet<>();
            node.fieldNames().forEachRemaining(names::add);
            return names;
        }
    }

    @Nested
    @DisplayName("listing")
    class Listing {
        @BeforeEach
        void needsTransactions() {
            requireTransactions();
        }

        /** Every dialogue of this test in the listing, reading pages of {@code pageSize}. */
        private List<Dialogue> listAll(DialogueStatus status, int pageSize) {
            List<Dialogue> mine = new ArrayList<>();
            List<String> allIds = new ArrayList<>();
            String cursor = null;
            do {
                DialoguePage page = await(dialogues.listDialogues(status, pageSize, cursor));
                assertTrue(page.dialogues().size() <= pageSize);
                for (Dialogue d : page.dialogues()) {
                    allIds.add(d.id());
                    if (status != null) {
                        assertEquals(status, d.status(), "listing by status returns only that status");
                    }
                    if (d.id().startsWith(tag + "-")) {
                        mine.add(d);
                    }
                }
                cursor = page.cursor().orElse(null);
            } while (cursor != null);
            assertEquals(allIds.stream().distinct().count(), allIds.size(), "no dialogue twice across pages");
            List<String> sorted = new ArrayList<>(allIds);
            sorted.sort(dev.polystore.spi.SortKeys::compare);
            assertEquals(sorted, allIds, "pages come in id order");
            return mine;
        }

        @Test
        @DisplayName("lists every dialogue, and those of one status, across many pages, in id order")
        void pages() {
            List<String> active = new ArrayList<>();
            List<String> concluded = new ArrayList<>();
            for (int i = 0; i < 23; i++) {
                String id = id(String.format("d%02d", i));
                await(dialogues.createDialogue(id, "Dialogue " + i));
                if (i % 3 == 0) {
                    await(dialogues.updateDialogueStatus(id, DialogueStatus.CONCLUDED));
                    concluded.add(id);
                } else {
                    active.add(id);
                }
            }
            List<String> all = new ArrayList<>(active);
            all.addAll(concluded);
            all.sort(String::compareTo);
            assertEquals(all, listAll(null, 5).stream().map(Dialogue::id).toList());
            assertEquals(active, listAll(DialogueStatus.ACTIVE, 4).stream().map(Dialogue::id).toList());
            assertEquals(concluded, listAll(DialogueStatus.CONCLUDED, 2).stream().map(Dialogue::id).toList());
            assertEquals(List.of(), listAll(DialogueStatus.ARCHIVED, 7));
        }

        @Test
        @DisplayName("listed dialogues equal what getDialogue returns, and move index when their status changes")
        void indexFollowsChanges() {
            await(dialogues.createDialogue(id("a"), "A"));
            await(dialogues.createDialogue(id("b"), "B"));
            await(dialogues.registerPerspective(new Perspective("P01", id("a"), 4, "ada", "l", "b")));
            await(dialogues.updateDialogueStatus(id("b"), DialogueStatus.ARCHIVED));
            List<Dialogue> listed = listAll(null, 1);
            assertEquals(List.of(Await.found(dialogues.getDialogue(id("a")), "dialogues.getDialogue(id(\"a\"))"),
                    Await.found(dialogues.getDialogue(id("b")), "dialogues.getDialogue(id(\"b\"))")), listed);
            assertEquals(4, listed.get(0).rounds());
            assertEquals(List.of(id("a")), listAll(DialogueStatus.ACTIVE, 10).stream().map(Dialogue::id).toList());
            assertEquals(List.of(id("b")), listAll(DialogueStatus.ARCHIVED, 10).stream().map(Dialogue::id).toList());
            await(dialogues.updateDialogueStatus(id("b"), DialogueStatus.ACTIVE));
            assertEquals(List.of(id("a"), id("b")),
                    listAll(DialogueStatus.ACTIVE, 10).stream().map(Dialogue::id).collect(Collectors.toList()));
            assertEquals(List.of(), listAll(DialogueStatus.ARCHIVED, 10));
        }

        @Test
        @DisplayName("a bad page size or a cursor from another listing fails with ValidationException")
        void badPaging() {
            failure(ValidationException.class, dialogues.listDialogues(null, 0, null));
            failure(ValidationException.class, dialogues.listDialogues(null, 1001, null));
            await(dialogues.createDialogue(id("a"), "A"));
            await(dialogues.createDialogue(id("b"), "B"));
            DialoguePage first = await(dialogues.listDialogues(null, 1, null));
            if (first.cursor().isPresent()) {
                failure(ValidationException.class, dialogues.listDialogues(DialogueStatus.ACTIVE, 1,
                        first.cursor().get()));
            }
            assertTrue(first.hasMore(), "two dialogues with page size 1 leave more to read");
        }
    }

    @Nested
    @DisplayName("without TRANSACTIONS")
    class WithoutTransactions {
        @Test
        @DisplayName("Storage.dialogues() fails with UnsupportedCapabilityException naming TRANSACTIONS")
        void unsupported() {
            assumeNoCapability(Capability.TRANSACTIONS);
            UnsupportedCapabilityException e = assertThrows(UnsupportedCapabilityException.class, storage::dialogues);
            assertEquals(Capability.TRANSACTIONS, e.capability());
        }
    }
}
