package dev.polystore.cli.command;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.polystore.Capability;
import dev.polystore.Storage;
import dev.polystore.cli.JobException;
import dev.polystore.encryption.Reencryption;
import dev.polystore.migration.Migration;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code polystore reencrypt}: rewrites every item of the chosen stores under the encryption
 * layer's current primary key (docs/encryption.md, "Rotation"), resumable with {@code --checkpoint}.
 */
@Command(name = "reencrypt", mixinStandardHelpOptions = true,
        description = {"Re-encrypts stores under the primary key of the encryption layer the config names",
                "(after a key rotation), so the old key can be removed. Resumable with --checkpoint."})
final class ReencryptCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParentCommand
    Polystore parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "Config file of the storage, with layers = [\"encryption\"] and the new keyset.")
    Path config;

    @Option(names = "--stores", split = ",", paramLabel = "NAME", description = "Stores to re-encrypt (default: every store).")
    List<String> stores = List.of();

    @Option(names = "--segments", defaultValue = "4", description = "Segments each store is read in (default ${DEFAULT-VALUE}).")
    int segments;

    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "Where positions are kept after every page; an existing one resumes the run.")
    Path checkpoint;

    @Option(names = {"-P", "--progress"}, description = "Print progress lines on the error stream.")
    boolean progress;

    @CommandLine.Mixin
    Polystore.Output output = new Polystore.Output();

    @Override
    public Integer call() {
        if (segments < 1 || segments > Migration.MAX_SEGMENTS) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--segments must be from 1 to " + Migration.MAX_SEGMENTS);
        }
        FileCheckpoint cp = new FileCheckpoint(checkpoint);
        try (Storage storage = parent.open(config)) {
            if (!storage.capabilities().has(Capability.SCAN)) {
                throw new JobException("the backend of " + config + " cannot scan (capability SCAN): re-encryption reads every item");
            }
            List<String> names = stores.isEmpty()
                    ? new ArrayList<>(new TreeSet<>(Migration.of(storage).stores().join())) : stores;
            Reencryption job = Reencryption.of(storage);
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            ObjectNode root = JSON.createObjectNode();
            root.put("command", "reencrypt");
            ObjectNode per = root.putObject("stores");
            long read = 0;
            long rewritten = 0;
            long changed = 0;
            for (String store : names) {
                Reencryption.Progress p = job.run(store, segments, cp, pr -> {
                    if (progress && !output.quiet) {
                        err.printf("%s: %d read, %d rewritten, %d changed meanwhile, %d/%d segments%n", pr.store(),
                                pr.read(), pr.rewritten(), pr.changed(), pr.segmentsDone(), pr.segments());
                        err.flush();
                    }
                });
                read += p.read();
                rewritten += p.rewritten();
                changed += p.changed();
                per.putObject(store).put("read", p.read()).put("rewritten", p.rewritten()).put("changed", p.changed());
                if (!output.json && !output.quiet) {
                    out.printf("store %s: %d read, %d rewritten under the primary key, %d changed meanwhile (already"
                            + " under it)%n", store, p.read(), p.rewritten(), p.changed());
                }
            }
            root.put("read", read).put("rewritten", rewritten).put("changed", changed);
            if (output.json) {
                out.println(root);
            } else if (!output.quiet) {
                out.printf("re-encrypted %d stores: %d read, %d rewritten, %d changed meanwhile%n", names.size(), read,
                        rewritten, changed);
            }
            out.flush();
            if (read != rewritten + changed) {
                err.println("polystore: the counts do not add up: " + read + " read != " + rewritten + " rewritten + "
                        + changed + " changed");
                return Polystore.COUNTS_DO_NOT_ADD_UP;
            }
            return Polystore.OK;
        }
    }

    /** Positions in a properties file, replaced atomically after every page; in memory without a file. */
    static final class FileCheckpoint implements Reencryption.Checkpoint {
        private final Path file;
        private final Properties values = new Properties();

        FileCheckpoint(Path file) {
            this.file = file;
            if (file != null && Files.isRegularFile(file)) {
                try (InputStream in = Files.newInputStream(file)) {
                    values.load(in);
                } catch (IOException | IllegalArgumentException e) {
                    throw new JobException("checkpoint " + file + " cannot be read: " + e.getMessage());
                }
            }
        }

        @Override
        public Optional<List<String>> plan(String store) {
            String n = values.getProperty(store + ".segments");
            if (n == null) {
                return Optional.empty();
            }
            List<String> plan = new ArrayList<>();
            for (int i = 0; i < Integer.parseInt(n); i++) {
                String start = values.getProperty(store + ".start." + i);
                if (start == null) {
                    throw new JobException("checkpoint " + file + " lacks " + store + ".start." + i);
                }
                plan.add(start);
            }
            return Optional.of(plan);
        }

        @Override
        public void savePlan(String store, List<String> positions) {
            values.setProperty(store + ".segments", Integer.toString(positions.size()));
            for (int i = 0; i < positions.size(); i++) {
                values.setProperty(store + ".start." + i, positions.get(i));
            }
            persist();
        }

        @Override
        public Optional<String> position(String store, int segment) {
            return Optional.ofNullable(values.getProperty(store + ".at." + segment));
        }

        @Override
        public void save(String store, int segment, String position) {
            values.setProperty(store + ".at." + segment, position);
            persist();
        }

        private void persist() {
            if (file == null) {
                return;
            }
            try {
                Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
                try (OutputStream o = Files.newOutputStream(tmp)) {
                    values.store(o, "polystore reencrypt checkpoint");
                }
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new JobException("checkpoint " + file + " cannot be written: " + e.getMessage());
            }
        }

        @Override
        public String toString() {
            return "checkpoint " + file + " " + Arrays.toString(values.stringPropertyNames().toArray());
        }
    }
}
