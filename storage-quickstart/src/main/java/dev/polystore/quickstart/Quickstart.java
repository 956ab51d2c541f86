package dev.polystore.quickstart;

import dev.polystore.Condition;
import dev.polystore.DialogueStore;
import dev.polystore.DocumentStore;
import dev.polystore.dialogue.Dialogue;
import dev.polystore.dialogue.DialogueExport;
import dev.polystore.dialogue.Perspective;
import dev.polystore.dialogue.Tension;
import dev.polystore.dialogue.TensionEvent;
import dev.polystore.dialogue.TensionStatus;
import dev.polystore.document.NewDocument;
import dev.polystore.document.SearchHit;
import dev.polystore.ConditionFailedException;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Page;
import dev.polystore.Query;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionException;

/**
 * A tour of Polystore: opens the storage a TOML file describes (embedded SQLite by default),
 * then stores, reads, queries and updates items, printing what happens.
 *
 * <p>Run it with the README's first command, or with a config file of your own:
 * {@code java -cp … dev.polystore.quickstart.Quickstart polystore.toml}.
 */
public final class Quickstart {

    /** A value type; any Jackson-mappable class or record works. */
    public record Task(String title, boolean done) {
    }

    private Quickstart() {
    }

    /** A recorded expert dialogue: perspectives, a tension moved through two statuses, the export. */
    private static void dialogues(DialogueStore dialogues) {
        System.out.println();
        System.out.println("-- DialogueStore");
        Dialogue d = dialogues.createDialogue("rfc-0053", "Storage abstraction for the seed").join();
        System.out.println("created dialogue " + d.id() + " (" + d.status() + "): " + d.title());
        dialogues.registerPerspective(new Perspective("P01", d.id(), 1, "ada", "One API",
                "Application code should not know which engine it runs on.")).join();
        dialogues.registerPerspective(new Perspective("P02", d.id(), 1, "grace", "Engines differ",
                "DynamoDB limits must hold on SQLite too, or production surprises us.")).join();
        Tension t = dialogues.registerTension(d.id(), "T01", 1, "Portability vs features",
                "Native features (FTS5) against one portable behaviour.", "grace").join();
        System.out.println("raised tension " + t.id() + " (" + t.status() + ", version " + t.version() + ")");
        Instant now = Instant.now();
        t = dialogues.updateTensionStatus(d.id(), "T01", t.version(),
                new TensionEvent(null, TensionStatus.ADDRESSED, "ada", now, 2, "Portable semantics, native engines may rank")).join();
        t = dialogues.updateTensionStatus(d.id(), "T01", t.version(),
                new TensionEvent(null, TensionStatus.RESOLVED, "grace", now.plusSeconds(60), 2, "The kit checks result sets")).join();
        System.out.println("tension " + t.id() + " history: " + t.history().stream()
                .map(e -> (e.from() == null ? "raised" : e.from() + "->" + e.to()) + " by " + e.actor()).toList());
        DialogueExport export = dialogues.exportDialogue(d.id()).join();
        String json = export.toJson();
        System.out.println("export: " + export.perspectives().size() + " perspectives, " + export.tensions().size()
                + " tension(s), " + json.length() + " bytes of JSON; round-trips: " + DialogueExport.fromJson(json).equals(export));
    }

    /** Documents with full-text search and links. */
    private static void documents(DocumentStore documents) {
        System.out.println();
        System.out.println("-- DocumentStore");
        long wal = documents.addDocument(NewDocument.of("Write-ahead logging",
                "SQLite in WAL mode lets readers continue while one writer commits.")).join();
        long group = documents.addDocument(NewDocument.of("Group commit",
                "Many concurrent writes share one durable commit of the write-ahead log.")).join();
        long ddb = documents.addDocument(NewDocument.of("DynamoDB transactions",
                "TransactWriteItems applies up to 100 writes atomically.")).join();
        documents.link(group, wal, "builds-on").join();
        System.out.println("added documents " + List.of(wal, group, ddb) + "; linked " + group + " -builds-on-> " + wal);
        for (String query : List.of("write-ahead", "writes", "commit log", "transactions")) {
            List<SearchHit> hits = documents.search(query, 10).join();
            System.out.println("search \"" + query + "\" -> " + hits.stream().map(h -> h.id() + " " + h.title()).toList());
        }
        System.out.println("links into " + wal + ": " + documents.linksTo(wal).join());
    }

    public static void main(String[] args) throws IOException {
        Path config = Path.of(args.length > 0 ? args[0] : "polystore.toml");
        // A fresh demo database each run, when the config is the quickstart's own SQLite file.
        StorageConfig settings = StorageConfig.fromToml(config).withOverrides(System.getenv(), System.getProperties());
        Path db = "sqlite".equals(settings.backend()) ? Path.of(settings.section("sqlite").getOrDefault("path", ".blue/blue.db")) : null;
        if (db != null && db.startsWith("target")) {
            for (String suffix : List.of("", "-wal", "-shm")) {
                Files.deleteIfExists(Path.of(db + suffix));
            }
        }
        Module module = Quickstart.class.getModule();
        System.out.println("Polystore quickstart (" + (module.isNamed() ? "module " + module.getName() + " on the module path"
                : "on the class path") + "): opening " + config.toAbsolutePath());

        try (Storage storage = StoreFactory.open(settings)) {
            System.out.println("backend: " + storage.backend() + ", capabilities: " + storage.capabilities().supported());

            Store<Task> tasks = storage.store("tasks", Task.class);

            // put and get: every write returns the stored item with its version.
            Item<Task> written = tasks.put(Item.of("user#42", "task#001", new Task("Write the docs", false))).join();
            tasks.put(Item.of("user#42", "task#002", new Task("Ship 0.1", false))).join();
            tasks.put(Item.of("user#42", "note#001", new Task("Not a task", true))).join();
            System.out.println("stored " + written.key() + " at version " + written.version());

            Item<Task> read = tasks.get("user#42", "task#001").join().orElseThrow();
            System.out.println("read   " + read.key() + " -> " + read.value());

            // prefix query inside one partition, in sort-key order.
            List<Item<Task>> open = tasks.query("user#42", "task#").join();
            System.out.println("query  user#42 task# -> " + open.size() + " items: "
                    + open.stream().map(i -> i.sk() + "=" + i.value().title()).toList());

            // optimistic concurrency: update only if nobody changed it since we read it.
            Item<Task> done = tasks.put(read.withValue(new Task("Write the docs", true)),
                    Condition.ifVersion(read.version())).join();
            System.out.println("update " + done.key() + " if version " + read.version() + " -> version " + done.version());
            try {
                tasks.put(read.withValue(new Task("stale write", false)), Condition.ifVersion(read.version())).join();
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof ConditionFailedException cfe)) {
                    throw e;
                }
                System.out.println("stale  update refused: " + cfe.getMessage());
            }

            // pages with cursors.
            Page<Task> first = tasks.query(Query.partition("user#42").limit(2)).join();
            System.out.println("page 1 " + first.items().stream().map(Item::sk).toList() + (first.hasMore() ? " (more)" : ""));
            Page<Task> second = tasks.query(Query.partition("user#42").limit(2).after(first.cursor().orElseThrow())).join();
            System.out.println("page 2 " + second.items().stream().map(Item::sk).toList() + (second.hasMore() ? " (more)" : ""));

            // atomic writes across items.
            storage.transaction()
                    .put(tasks, Item.of("user#42", "task#003", new Task("Celebrate", false)), Condition.ifAbsent())
                    .delete(tasks, Key.of("user#42", "note#001"))
                    .commit().join();
            System.out.println("transaction added task#003 and deleted note#001: now "
                    + tasks.query("user#42", "").join().stream().map(Item::sk).toList());

            dialogues(storage.dialogues());
            documents(storage.documents());
        }
        System.out.println("done" + (db == null ? "" : ": data is in " + db.toAbsolutePath()));
    }
}
