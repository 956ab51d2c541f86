package dev.polystore.cli.command;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.polystore.Capabilities;
import dev.polystore.Capability;
import dev.polystore.Health;
import dev.polystore.Storage;
import java.io.PrintWriter;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** {@code polystore health}: whether the engine answers, how fast, what it offers and how durable it is. */
@Command(name = "health", mixinStandardHelpOptions = true,
        description = {"Checks that the backend answers and prints its health details: latency, capabilities and",
                "limits, and what the engine reports about durability (SQLite's journal mode and synchronous",
                "setting, PostgreSQL's fsync and synchronous_commit, Redis's persistence, ...). Reads nothing else."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:healthy", "2:usage error", "3:bad input (config)", "4:unhealthy, or the engine failed"})
final class HealthCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParentCommand
    Polystore parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ConfigOption storage = new ConfigOption();

    @Mixin
    Polystore.Output output = new Polystore.Output();

    @Override
    public Integer call() {
        try (Storage s = parent.open(storage.config)) {
            Health h = s.health().join();
            Capabilities caps = s.capabilities();
            Map<String, String> details = new TreeMap<>(h.details());
            PrintWriter w = spec.commandLine().getOut();
            if (output.json) {
                ObjectNode root = JSON.createObjectNode();
                root.put("command", "health");
                root.put("backend", h.backend());
                root.put("healthy", h.healthy());
                root.put("latencyMs", h.latency().toNanos() / 1e6);
                var arr = root.putArray("capabilities");
                for (Capability c : Capability.values()) {
                    if (caps.has(c)) {
                        arr.add(c.name());
                    }
                }
                ObjectNode limits = root.putObject("limits");
                limits.put("maxTransactionItems", caps.maxTransactionItems());
                limits.put("maxTransactionBytes", caps.maxTransactionBytes());
                limits.put("maxBatchGetItems", caps.maxBatchGetItems());
                limits.put("maxBatchWriteItems", caps.maxBatchWriteItems());
                ObjectNode d = root.putObject("details");
                details.forEach(d::put);
                w.println(root);
            } else if (!output.quiet) {
                w.printf("backend %s: %s (%.1f ms)%n", h.backend(), h.healthy() ? "healthy" : "UNHEALTHY",
                        h.latency().toNanos() / 1e6);
                StringBuilder list = new StringBuilder();
                for (Capability c : Capability.values()) {
                    if (caps.has(c)) {
                        list.append(list.isEmpty() ? "" : ", ").append(c.name());
                    }
                }
                w.println("capabilities: " + (list.isEmpty() ? "none beyond the core" : list));
                w.printf("limits: transactions %d items / %d bytes, batch get %d, batch write %d%n",
                        caps.maxTransactionItems(), caps.maxTransactionBytes(), caps.maxBatchGetItems(),
                        caps.maxBatchWriteItems());
                details.forEach((k, v) -> w.printf("  %s = %s%n", k, v));
            }
            w.flush();
            return h.healthy() ? Polystore.OK : Polystore.ENGINE_FAILED;
        }
    }
}
