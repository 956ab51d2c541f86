package dev.polystore.cli.command;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.polystore.ConfigurationException;
import dev.polystore.Key;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.StoreException;
import dev.polystore.StoreFactory;
import dev.polystore.cli.Copier;
import dev.polystore.cli.CopyOptions;
import dev.polystore.cli.ExportFile;
import dev.polystore.cli.JobException;
import dev.polystore.cli.JobSummary;
import dev.polystore.cli.StoreTally;
import dev.polystore.cli.Verifier;
import dev.polystore.cli.VerifyReport;
import dev.polystore.spi.ImportMode;
import dev.polystore.migration.Migration;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * The {@code polystore} command: copy, verify, export and import stores between any two
 * configured backends, and look at one: health, stats, get and query. Exit codes: 0 done; 1
 * differences found ({@code verify}), items rejected ({@code copy}, {@code import}) or no item at
 * the key ({@code get}); 2 usage error; 3 bad input (config, file, checkpoint); 4 an
 * engine failed (run the same command again: copies resume); 5 the counts did not add up.
 */
@Command(name = "polystore", mixinStandardHelpOptions = true, version = "polystore 0.1.0",
        description = "Moves data between Polystore backends (see docs/migration.md).",
        subcommands = {Polystore.CopyCommand.class, Polystore.VerifyCommand.class, Polystore.ExportCommand.class,
                Polystore.ImportCommand.class,
                HealthCommand.class,
                StatsCommand.class,
                GetCommand.class,
                QueryCommand.class,
                ReencryptCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:differences found, items rejected, or (get) no item at the key", "2:usage error",
                "3:bad input (config, file, checkpoint)", "4:an engine failed; run the same command again",
                "5:the counts did not add up"})
public final class Polystore implements Callable<Integer> {
    public static final int OK = 0;
    public static final int DIFFERENCES = 1;
    public static final int USAGE = 2;
    public static final int BAD_INPUT = 3;
    public static final int ENGINE_FAILED = 4;
    public static final int COUNTS_DO_NOT_ADD_UP = 5;

    private static final ObjectMapper JSON = new ObjectMapper();

    final Function<Path, Storage> opener;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** With storages opened from their config files as they are (no environment overrides: they would apply to both sides). */
    public Polystore() {
        this(file -> StoreFactory.open(readConfig(file)));
    }

    /** With another way to open a config file (tests). */
    public Polystore(Function<Path, Storage> opener) {
        this.opener = opener;
    }

    public static void main(String[] args) {
        System.exit(commandLine(new Polystore()).execute(args));
    }

    /** The picocli command line for {@code polystore}, with its exit-code mapping. */
    public static CommandLine commandLine(Polystore polystore) {
        CommandLine cl = new CommandLine(polystore);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            Throwable t = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            line.getErr().println("polystore: " + t.getMessage());
            if (t instanceof JobException || t instanceof ConfigurationException
                    || t instanceof dev.polystore.ValidationException) {
                return BAD_INPUT;
            }
            if (t instanceof StoreException) {
                return ENGINE_FAILED;
            }
            throw e;
        });
        cl.setExitCodeExceptionMapper(t -> t instanceof CommandLine.ParameterException ? USAGE : ENGINE_FAILED);
        return cl;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return USAGE;
    }

    static StorageConfig readConfig(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new JobException("config file not found: " + file);
        }
        return StorageConfig.fromToml(file);
    }

    Storage open(Path file) {
        return opener.apply(file);
    }

    static void refuseSame(Path from, Path to) {
        try {
            if (Files.exists(from) && Files.exists(to) && Files.isSameFile(from, to)) {
                throw new JobException("--from and --to are the same file (" + from + "): refusing to copy a storage onto itself");
            }
            if (Files.isRegularFile(from) && Files.isRegularFile(to)
                    && readConfig(from).values().equals(readConfig(to).values())) {
                throw new JobException(from + " and " + to + " describe the same storage: refusing to copy it onto itself");
            }
        } catch (java.io.IOException e) {
            throw new JobException("cannot compare " + from + " and " + to + ": " + e.getMessage(), e);
        }
    }

    /** Options every command has: output for scripts or for nobody. */
    static class Output {
        @Option(names = "--json", description = "Print the summary as one JSON object (for scripts).")
        boolean json;

        @Option(names = {"-q", "--quiet"}, description = "Print nothing but errors; the exit code tells.")
        boolean quiet;
    }

    /**
     * Plain progress lines on {@code err}, at most one every two seconds, nothing when quiet: the
     * listener a command without {@link ProgressOptions} can hand a {@link Copier}.
     */
    static final class Progress implements Copier.Listener, AutoCloseable {
        private final ProgressDisplay display;

        Progress(PrintWriter err, boolean quiet) {
            display = new ProgressDisplay(quiet ? ProgressOptions.Mode.none : ProgressOptions.Mode.lines, err, 2000);
        }

        @Override
        public void storeStarted(String store, int segments, long estimatedItems, StoreTally done) {
            display.storeStarted(store, segments, estimatedItems, done);
        }

        @Override
        public void page(String store, int segment, StoreTally page) {
            display.page(store, segment, page);
        }

        @Override
        public void segmentDone(String store, int segment) {
            display.segmentDone(store, segment);
        }

        @Override
        public void storeDone(StoreTally total) {
            display.storeDone(total);
        }

        @Override
        public void close() {
            display.close();
        }
    }

    static int report(CommandLine.Model.CommandSpec spec, Output out, String command, JobSummary summary) {
        PrintWriter w = spec.commandLine().getOut();
        if (out.json) {
            ObjectNode root = JSON.createObjectNode();
            root.put("command", command);
            root.put("dryRun", summary.dryRun());
            ArrayNode stores = root.putArray("stores");
            for (StoreTally t : summary.stores()) {
                stores.add(tally(t));
            }
            root.set("total", tally(summary.total()));
            root.put("addsUp", summary.addsUp());
            if (summary.deletionSkipped() != null) {
                root.put("deletionSkipped", summary.deletionSkipped());
            }
            w.println(root);
        } else if (!out.quiet) {
            for (StoreTally t : summary.stores()) {
                w.println(line(t, summary.dryRun()));
            }
            w.println(line(summary.total(), summary.dryRun()));
        }
        w.flush();
        if (summary.deletionSkipped() != null) {
            spec.commandLine().getErr().println("polystore: --delete-extra: " + summary.deletionSkipped());
        }
        if (!summary.addsUp()) {
            spec.commandLine().getErr().println("polystore: the counts do not add up (read != written + kept + expired"
                    + " + rejected): report this as a bug");
            return COUNTS_DO_NOT_ADD_UP;
        }
        return summary.total().rejected() > 0 ? DIFFERENCES : OK;
    }

    private static String line(StoreTally t, boolean dryRun) {
        String name = t.store().equals("*") ? "total" : "store " + t.store();
        if (dryRun) {
            return String.format("%s: read %d (%d bytes), expired at source %d%s; dry run: nothing written", name, t.read(),
                    t.bytes(), t.expiredAtSource(), t.deleted() > 0 ? ", would delete " + t.deleted() : "");
        }
        return String.format("%s: read %d, written %d, kept %d, expired %d, rejected %d; expired at source %d; %d bytes%s",
                name, t.read(), t.written(), t.kept(), t.expired(), t.rejected(), t.expiredAtSource(), t.bytes(),
                t.deleted() > 0 ? "; deleted on target " + t.deleted() : "");
    }

    private static ObjectNode tally(StoreTally t) {
        ObjectNode n = JSON.createObjectNode();
        n.put("store", t.store());
        n.put("read", t.read());
        n.put("written", t.written());
        n.put("kept", t.kept());
        n.put("expired", t.expired());
        n.put("rejected", t.rejected());
        n.put("expiredAtSource", t.expiredAtSource());
        n.put("bytes", t.bytes());
        n.put("deleted", t.deleted());
        return n;
    }

    static ImportMode mode(String s) {
        return switch (s) {
            case "if-newer" -> ImportMode.IF_NEWER;
            case "overwrite" -> ImportMode.OVERWRITE;
            default -> throw new JobException("--mode must be if-newer or overwrite, got " + s);
        };
    }

    @Command(name = "copy", mixinStandardHelpOptions = true,
            description = {"Copies stores from one backend to another exactly as stored (versions and expiry kept).",
                    "Resumable: run the same command again after any failure; --restart starts over.",
                    "Never deletes on the target unless asked (--delete-extra), and never after an error."})
    static final class CopyCommand implements Callable<Integer> {
        @ParentCommand
        Polystore parent;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--from", required = true, paramLabel = "FILE", description = "Config file of the source (TOML, as StoreFactory reads it).")
        Path from;

        @Option(names = "--to", required = true, paramLabel = "FILE", description = "Config file of the target.")
        Path to;

        @Option(names = "--stores", split = ",", paramLabel = "NAME", description = "Stores to copy (default: every store of the source).")
        List<String> stores = List.of();

        @CommandLine.Mixin
        ScanOptions scan = new ScanOptions();

        @Option(names = "--rate", defaultValue = "0", paramLabel = "ITEMS_PER_SECOND", description = "Most items written per second (default 0: no limit).")
        double rate;

        @Option(names = "--dry-run", description = "Read everything, write nothing.")
        boolean dryRun;

        @Option(names = "--mode", defaultValue = "if-newer", description = "if-newer (default: keep the target's item when its version is the same or higher) or overwrite (only when nothing else writes the target).")
        String mode;

        @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "Where checkpoints are kept (default: .polystore/checkpoints next to the target's config).")
        Path checkpointDir;

        @Option(names = "--restart", description = "Discard the checkpoints and copy from the start.")
        boolean restart;

        @Option(names = "--reject-file", paramLabel = "FILE", description = "Append the items that could not be written (JSON Lines, with why).")
        Path rejectFile;

        @Option(names = "--delete-extra", description = {"After every store was copied without an error or a rejected item,",
                "delete on the target the items of those stores that the source lacks (each only if unchanged since read).",
                "With --dry-run: count them only."})
        boolean deleteExtra;

        @CommandLine.Mixin
        ProgressOptions progress = new ProgressOptions();

        @CommandLine.Mixin
        Output output = new Output();

        @Override
        public Integer call() {
            refuseSame(from, to);
            Path dir = checkpointDir != null ? checkpointDir
                    : to.toAbsolutePath().getParent().resolve(".polystore").resolve("checkpoints");
            CopyOptions options = CopyOptions.defaults().withStores(stores).withSegments(scan.segments)
                    .withPageSize(scan.pageSize).withRate(rate).withDryRun(dryRun).withMode(mode(mode))
                    .withCheckpointDir(dir).withRestart(restart).withRejectFile(rejectFile).withDeleteExtra(deleteExtra);
            try (Storage source = parent.open(from); Storage target = parent.open(to);
                    ProgressDisplay display = progress.display(spec, output)) {
                String job = from.toAbsolutePath().normalize() + " -> " + to.toAbsolutePath().normalize();
                JobSummary summary = new Copier(Migration.of(source), Migration.of(target), job).copy(options, display);
                display.close();
                return report(spec, output, "copy", summary);
            }
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Compares stores on two backends item by item (payload, version, expiry) with per-bucket",
                    "counts and digests, and lists the keys missing on the target, missing on the source, and differing.",
                    "Reads only. Exit code 1 when anything differs."})
    static final class VerifyCommand implements Callable<Integer> {
        @ParentCommand
        Polystore parent;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--from", required = true, paramLabel = "FILE", description = "Config file of the source.")
        Path from;

        @Option(names = "--to", required = true, paramLabel = "FILE", description = "Config file of the target.")
        Path to;

        @Option(names = "--stores", split = ",", paramLabel = "NAME", description = "Stores to compare (default: every store on either side).")
        List<String> stores = List.of();

        @CommandLine.Mixin
        ScanOptions scan = new ScanOptions();

        @Option(names = "--max-keys", defaultValue = "20", description = "Keys listed per kind of difference and store (default ${DEFAULT-VALUE}; counts are always exact).")
        int maxKeys;

        @CommandLine.Mixin
        Output output = new Output();

        @Override
        public Integer call() {
            try (Storage source = parent.open(from); Storage target = parent.open(to)) {
                VerifyReport report = new Verifier(Migration.of(source), Migration.of(target), scan.segments,
                        scan.pageSize)
                        .verify(stores, maxKeys);
                PrintWriter w = spec.commandLine().getOut();
                if (output.json) {
                    ObjectNode root = JSON.createObjectNode();
                    root.put("command", "verify");
                    root.put("same", report.same());
                    root.put("differences", report.differences());
                    ArrayNode arr = root.putArray("stores");
                    for (VerifyReport.StoreDiff d : report.stores()) {
                        ObjectNode n = arr.addObject();
                        n.put("store", d.store());
                        n.put("sourceItems", d.sourceItems());
                        n.put("targetItems", d.targetItems());
                        n.put("sourceDigest", d.sourceDigest());
                        n.put("targetDigest", d.targetDigest());
                        n.put("missingOnTarget", d.missingOnTarget());
                        n.put("missingOnSource", d.missingOnSource());
                        n.put("differing", d.differing());
                        keys(n.putArray("missingOnTargetKeys"), d.missingOnTargetKeys());
                        keys(n.putArray("missingOnSourceKeys"), d.missingOnSourceKeys());
                        keys(n.putArray("differingKeys"), d.differingKeys());
                    }
                    w.println(root);
                } else if (!output.quiet) {
                    for (VerifyReport.StoreDiff d : report.stores()) {
                        w.printf("store %s: %s; source %d items (digest %s), target %d items (digest %s); "
                                + "missing on target %d, missing on source %d, differing %d%n", d.store(),
                                d.same() ? "same" : "DIFFERENT", d.sourceItems(), d.sourceDigest(), d.targetItems(),
                                d.targetDigest(), d.missingOnTarget(), d.missingOnSource(), d.differing());
                        d.missingOnTargetKeys().forEach(k -> w.println("  missing on target: " + k));
                        d.missingOnSourceKeys().forEach(k -> w.println("  missing on source: " + k));
                        d.differingKeys().forEach(k -> w.println("  differing: " + k));
                    }
                    w.println(report.same() ? "0 differences" : report.differences() + " differences");
                }
                w.flush();
                return report.same() ? OK : DIFFERENCES;
            }
        }

        private static void keys(ArrayNode into, List<Key> keys) {
            for (Key k : keys) {
                into.addObject().put("pk", k.pk()).put("sk", k.sk());
            }
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Writes stores to a file in the Polystore export format (JSON Lines, versioned, with a trailer",
                    "carrying counts and digests; gzip with --gzip or a name ending in .gz)."})
    static final class ExportCommand implements Callable<Integer> {
        @ParentCommand
        Polystore parent;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--from", required = true, paramLabel = "FILE", description = "Config file of the source.")
        Path from;

        @Option(names = {"--out", "-o"}, required = true, paramLabel = "FILE", description = "The export file to write (replaced when complete).")
        Path out;

        @Option(names = "--stores", split = ",", paramLabel = "NAME", description = "Stores to export (default: every store).")
        List<String> stores = List.of();

        @Option(names = "--gzip", description = "Compress with gzip (implied by a name ending in .gz).")
        boolean gzip;

        @CommandLine.Mixin
        ScanOptions scan = new ScanOptions();

        @CommandLine.Mixin
        Output output = new Output();

        @Override
        public Integer call() {
            scan.validate();
            boolean compress = gzip || out.getFileName().toString().endsWith(".gz");
            try (Storage source = parent.open(from)) {
                ExportFile.Contents contents = ExportFile.export(Migration.of(source), stores, out, compress,
                        scan.segments, scan.pageSize);
                PrintWriter w = spec.commandLine().getOut();
                if (output.json) {
                    ObjectNode root = JSON.createObjectNode();
                    root.put("command", "export");
                    root.put("file", out.toString());
                    root.put("items", contents.total());
                    ObjectNode per = root.putObject("stores");
                    contents.items().forEach((s, n) -> per.putObject(s).put("items", n)
                            .put("digest", contents.digests().get(s)));
                    w.println(root);
                } else if (!output.quiet) {
                    contents.items().forEach((s, n) -> w.printf("store %s: %d items (digest %s)%n", s, n,
                            contents.digests().get(s)));
                    w.printf("exported %d items to %s%n", contents.total(), out);
                }
                w.flush();
                return OK;
            }
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = {"Imports an export file into a backend exactly as exported (versions and expiry kept).",
                    "Checks the whole file first and writes nothing if any of it is wrong. Idempotent: run it again after a failure."})
    static final class ImportCommand implements Callable<Integer> {
        @ParentCommand
        Polystore parent;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--to", required = true, paramLabel = "FILE", description = "Config file of the target.")
        Path to;

        @Option(names = {"--in", "-i"}, required = true, paramLabel = "FILE", description = "The export file to read (gzip recognised).")
        Path in;

        @Option(names = "--stores", split = ",", paramLabel = "NAME", description = "Stores to import (default: every store in the file).")
        List<String> stores = List.of();

        @Option(names = "--mode", defaultValue = "if-newer", description = "if-newer (default) or overwrite.")
        String mode;

        @Option(names = "--page-size", defaultValue = "500", description = "Items per import call (default ${DEFAULT-VALUE}).")
        int pageSize;

        @Option(names = "--reject-file", paramLabel = "FILE", description = "Append the items that could not be written (JSON Lines, with why).")
        Path rejectFile;

        @CommandLine.Mixin
        Output output = new Output();

        @Override
        public Integer call() {
            ImportMode m = mode(mode);
            CopyOptions.defaults().withPageSize(pageSize); // validates it
            try (Storage target = parent.open(to)) {
                JobSummary summary = ExportFile.importFile(Migration.of(target), in, stores, m, pageSize, rejectFile);
                return report(spec, output, "import", summary);
            }
        }
    }
}
