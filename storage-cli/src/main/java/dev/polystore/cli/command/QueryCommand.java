package dev.polystore.cli.command;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.KeyRange;
import dev.polystore.Page;
import dev.polystore.Query;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.cli.ExportFile;
import dev.polystore.cli.JobException;
import dev.polystore.migration.Migration;
import dev.polystore.migration.StoredItem;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code polystore query}: the items of one partition, in sort-key order, page by page. */
@Command(name = "query", mixinStandardHelpOptions = true,
        description = {"Prints the live items of one partition in sort-key order (byte order of UTF-8), one line each",
                "in the export format's JSON form, optionally within a sort-key prefix or range, a page at a time.",
                "Without --all it prints one page and, if more follow, the cursor for --after. Reads only."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done (also when nothing matched)", "2:usage error",
                "3:bad input (config, a store that does not exist, an invalid key, range or cursor)",
                "4:an engine failed"})
final class QueryCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParentCommand
    Polystore parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ConfigOption storage = new ConfigOption();

    @Mixin
    ItemArgs item = new ItemArgs();

    @Option(names = "--pk", required = true, paramLabel = "PK", description = "The partition key.")
    String pk;

    @Option(names = "--prefix", paramLabel = "TEXT", description = "Only sort keys starting with TEXT.")
    String prefix;

    @Option(names = "--from", paramLabel = "SK", description = "Only sort keys >= SK (inclusive).")
    String from;

    @Option(names = "--to", paramLabel = "SK", description = "Only sort keys <= SK (inclusive).")
    String to;

    @Option(names = "--limit", defaultValue = "100", description = "Items per page (1-1000; default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--after", paramLabel = "CURSOR", description = "Resume after the page that printed this cursor.")
    String after;

    @Option(names = "--all", description = "Print every page, not only the first.")
    boolean all;

    @Option(names = "--descending", description = "Highest sort key first.")
    boolean descending;

    @Option(names = "--decode", description = "Also print each payload as UTF-8 text (field \"value\"; for JSON codecs).")
    boolean decode;

    @Mixin
    Polystore.Output output = new Polystore.Output();

    @Override
    public Integer call() {
        if (prefix != null && (from != null || to != null)) {
            throw new JobException("--prefix cannot be combined with --from or --to");
        }
        if (limit < 1 || limit > Migration.MAX_PAGE_ITEMS) {
            throw new JobException("--limit must be from 1 to " + Migration.MAX_PAGE_ITEMS + ", got " + limit);
        }
        KeyRange range = prefix != null ? KeyRange.prefix(prefix)
                : from != null && to != null ? KeyRange.between(from, to)
                : from != null ? KeyRange.atLeast(from)
                : to != null ? KeyRange.atMost(to) : KeyRange.all();
        try (Storage s = parent.open(storage.config)) {
            item.requireExists(Migration.of(s));
            Store<byte[]> st = s.store(item.store, Codec.bytes());
            Query q = Query.partition(pk).range(range).limit(limit);
            if (descending) {
                q = q.descending();
            }
            if (after != null) {
                q = q.after(after);
            }
            PrintWriter w = spec.commandLine().getOut();
            ArrayNode items = JSON.createArrayNode();
            long n = 0;
            String cursor;
            do {
                Page<byte[]> page = StatsCommand.join(st.query(q));
                for (Item<byte[]> i : page.items()) {
                    StoredItem si = new StoredItem(i.key(), i.value(), i.version(), i.expiresAt().orElse(null));
                    n++;
                    if (output.json) {
                        items.add(node(item.store, si, decode));
                    } else if (!output.quiet) {
                        w.println(line(item.store, si, decode));
                    }
                }
                cursor = page.cursor().orElse(null);
                if (cursor != null) {
                    q = q.after(cursor);
                }
            } while (all && cursor != null);
            if (output.json) {
                ObjectNode root = JSON.createObjectNode();
                root.put("command", "query");
                root.put("count", n);
                root.set("items", items);
                if (cursor == null) {
                    root.putNull("cursor");
                } else {
                    root.put("cursor", cursor);
                }
                w.println(root);
            } else if (!output.quiet) {
                spec.commandLine().getErr().println(cursor == null ? "polystore: " + n + " items, no more"
                        : "polystore: " + n + " items; more follow: --after " + cursor);
            }
            w.flush();
            return Polystore.OK;
        }
    }

    static ObjectNode node(String store, StoredItem i, boolean decode) {
        try {
            ObjectNode n = (ObjectNode) JSON.readTree(ExportFile.itemJson(store, i));
            if (decode) {
                n.put("value", new String(i.payload(), StandardCharsets.UTF_8));
            }
            return n;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String line(String store, StoredItem i, boolean decode) {
        return decode ? node(store, i, true).toString() : ExportFile.itemJson(store, i);
    }
}
