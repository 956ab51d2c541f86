package dev.polystore.testkit.faults;

import static dev.polystore.testkit.faults.SweepOperations.await;

import dev.polystore.Capability;
import dev.polystore.DialogueStore;
import dev.polystore.Item;
import dev.polystore.Store;
import dev.polystore.dialogue.Dialogue;
import dev.polystore.dialogue.DialogueExport;
import dev.polystore.dialogue.DialogueStatus;
import dev.polystore.dialogue.Perspective;
import dev.polystore.dialogue.Tension;
import dev.polystore.dialogue.TensionEvent;
import dev.polystore.dialogue.TensionStatus;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The dialogue store's operations in the sweep. Observations read the dialogue, its perspective
 * or tension (with history) through the API, and the listing index entries through the documented
 * item layout ({@code dlgidx#all}, {@code dlgidx#<STATUS>}), which every write keeps equal to the
 * dialogue in the same atomic write.
 */
public final class DialogueOperations {
    private static final Instant AT = Instant.parse("2026-03-01T12:00:00Z");

    private DialogueOperations() {
    }

    public static List<SweepOperation> all() {
        return List.of(createDialogue(), updateDialogueStatus(), registerPerspective(), registerTension(),
                updateTensionStatus(), exportDialogue());
    }

    static DialogueStore dialogues(SweepCase c) {
        return c.storage().dialogues();
    }

    /** {@code title|status|rounds=n}: a dialogue without its id and dates. */
    static String show(SweepCase c, Dialogue d) {
        return c.untag(d.title()) + "|" + d.status() + "|rounds=" + d.rounds();
    }

    static String show(SweepCase c, Optional<Dialogue> d) {
        return d.map(x -> show(c, x)).orElse("absent");
    }

    /** {@code status@v<version> history=[from>to by actor r<round> (reason)…]}. */
    static String show(SweepCase c, Tension t) {
        return t.status() + "@v" + t.version() + " " + c.untag(t.label()) + " history=" + t.history().stream()
                .map(e -> e.from() + ">" + e.to() + " by " + e.actor() + " r" + e.round() + " (" + e.reason() + ")")
                .toList();
    }

    static String show(SweepCase c, Perspective p) {
        return c.untag(p.label()) + "|" + p.expert() + "|r" + p.round() + "|" + c.untag(p.body());
    }

    /** The dialogue and its listing entries in {@code dlgidx#all} and each status's index. */
    static Map<String, Object> dialogueParts(SweepCase c, String id) {
        Map<String, Object> parts = new LinkedHashMap<>();
        parts.put("dialogue", show(c, await(dialogues(c).getDialogue(id))));
        Store<Dialogue> index = c.storage().store("dialogues" /* the dialogue store's table, documented in Storage.dialogues() */, Dialogue.class);
        parts.put("index all", show(c, await(index.get("dlgidx#all", id)).map(Item::value)));
        for (DialogueStatus s : DialogueStatus.values()) {
            parts.put("index " + s, show(c, await(index.get("dlgidx#" + s.name(), id)).map(Item::value)));
        }
        return parts;
    }

    private abstract static class DialogueOperation extends SweepOperation {
        DialogueOperation(String name) {
            super(name, Capability.TRANSACTIONS);
        }

        @Override
        protected void probe(SweepCase c) {
            String id = c.id("probe");
            await(dialogues(c).createDialogue(id, "probe"));
            if (await(dialogues(c).getDialogue(id)).isEmpty()) {
                throw new IllegalStateException("a dialogue created after the fault is not found");
            }
        }
    }

    static SweepOperation createDialogue() {
        return new DialogueOperation("create dialogue") {
            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return dialogues(c).createDialogue(c.id("d"), "title" + c.tag());
            }

            @Override
            protected Map<String, Object> observe(SweepCase c) {
                // One part: the dialogue and its index entries are written atomically.
                return Map.of("dialogue and index", dialogueParts(c, c.id("d")));
            }

            @Override
            protected Object normalize(SweepCase c, Object result) {
                return show(c, (Dialogue) result);
            }
        };
    }

    static SweepOperation updateDialogueStatus() {
        return new DialogueOperation("update dialogue status") {
            @Override
            protected void setUp(SweepCase c) {
                await(dialogues(c).createDialogue(c.id("d"), "title" + c.tag()));
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return dialogues(c).updateDialogueStatus(c.id("d"), DialogueStatus.CONCLUDED);
            }

            @Override
            protected Map<String, Object> observe(SweepCase c) {
                return Map.of("dialogue and index", dialogueParts(c, c.id("d")));
            }

            @Override
            protected Object normalize(SweepCase c, Object result) {
                return show(c, (Dialogue) result);
            }
        };
    }

    static Perspective perspective(SweepCase c) {
        return new Perspective(c.id("p"), c.id("d"), 2, "ada", "label" + c.tag(), "body" + c.tag());
    }

    static SweepOperation registerPerspective() {
        return new DialogueOperation("register perspective") {
            @Override
            protected void setUp(SweepCase c) {
                await(dialogues(c).createDialogue(c.id("d"), "title" + c.tag()));
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return dialogues(c).registerPerspective(perspective(c));
            }

            @Override
            protected Map<String, Object> observe(SweepCase c) {
                Map<String, Object> all = new LinkedHashMap<>(dialogueParts(c, c.id("d")));
                all.put("perspective", await(dialogues(c).getPerspective(c.id("d"), c.id("p"))).map(p -> show(c, p))
                        .orElse("absent"));
                return Map.of("dialogue, index and perspective", all);
            }

            @Override
            protected Object normalize(SweepCase c, Object result) {
                return show(c, (Perspective) result);
            }
        };
    }

    static SweepOperation registerTension() {
        return new DialogueOperation("register tension") {
            @Override
            protected void setUp(SweepCase c) {
                await(dialogues(c).createDialogue(c.id("d"), "title" + c.tag()));
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return dialogues(c).registerTension(c.id("d"), c.id("t"), 2, "label" + c.tag(), "description", "ada");
            }

            @Override
            protected Map<String, Object> observe(SweepCase c) {
                return Map.of("dialogue, index and tension", tensionParts(c));
            }

            @Override
            protected Object normalize(SweepCase c, Object result) {
                return show(c, (Tension) result);
            }
        };
    }

    static Map<String, Object> tensionParts(SweepCase c) {
        Map<String, Object> all = new LinkedHashMap<>(dialogueParts(c, c.id("d")));
        all.put("tension", await(dialogues(c).getTension(c.id("d"), c.id("t"))).map(t -> show(c, t)).orElse("absent"));
        return all;
    }

    static SweepOperation updateTensionStatus() {
        return new DialogueOperation("update tension status") {
            @Override
            protected void setUp(SweepCase c) {
                await(dialogues(c).createDialogue(c.id("d"), "title" + c.tag()));
                await(dialogues(c).registerTension(c.id("d"), c.id("t"), 1, "label" + c.tag(), "description", "ada"));
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return dialogues(c).updateTensionStatus(c.id("d"), c.id("t"), 1,
                        new TensionEvent(null, TensionStatus.ADDRESSED, "bob", AT, 3, "measured"));
            }

            @Override
            protected Map<String, Object> observe(SweepCase c) {
                return Map.of("dialogue, index and tension", tensionParts(c));
            }

            /** The tension returned must be the one stored, history included. */
            @Override
            protected void checkResult(SweepCase c, Object result, Reference reference, List<String> problems) {
                super.checkResult(c, result, reference, problems);
                String stored = (String) tensionParts(c).get("tension");
                String returned = show(c, (Tension) result);
                if (!returned.equals(stored)) {
                    problems.add("it returned the tension " + returned + " but the store holds " + stored);
                }
            }

            @Override
            protected Object normalize(SweepCase c, Object result) {
                return show(c, (Tension) result);
            }
        };
    }

    static SweepOperation exportDialogue() {
        return new DialogueOperation("export dialogue") {
            @Override
            protected void setUp(SweepCase c) {
                await(dialogues(c).createDialogue(c.id("d"), "title" + c.tag()));
                await(dialogues(c).registerPerspective(perspective(c)));
                await(dialogues(c).registerTension(c.id("d"), c.id("t"), 1, "label" + c.tag(), "description", "ada"));
                await(dialogues(c).updateTensionStatus(c.id("d"), c.id("t"), 1,
                        new TensionEvent(null, TensionStatus.DEFERRED, "bob", AT, 2, "later")));
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return dialogues(c).exportDialogue(c.id("d"));
            }

            @Override
            protected boolean writes() {
                return false;
            }

            @Override
            protected Map<String, Object> observe(SweepCase c) {
                return Map.of("dialogue, index and tension", tensionParts(c));
            }

            @Override
            protected Object normalize(SweepCase c, Object result) {
                return c.untag(((DialogueExport) result).toJson());
            }
        };
    }
}
