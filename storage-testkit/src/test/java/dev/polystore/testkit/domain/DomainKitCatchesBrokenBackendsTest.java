package dev.polystore.testkit.domain;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.polystore.Condition;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.internal.DefaultStorage;
import dev.polystore.spi.WriteOp;
import dev.polystore.memory.MemoryBackend;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * The domain suites are themselves tested: backends whose transactions are subtly wrong must
 * make specific domain contract tests fail, while a correct backend passes them (the Memory*
 * tests).
 */
class DomainKitCatchesBrokenBackendsTest {

    /** A memory backend whose transactions are rewritten by {@code breakage} before being applied. */
    static Storage broken(StorageConfig config, UnaryOperator<List<WriteOp>> breakage, long delayMillis) {
        MemoryBackend memory = new MemoryBackend(config.clock());
        return new DefaultStorage("memory", new CrashingBackend(memory, Integer.MAX_VALUE) {
            @Override
            public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
                List<WriteOp> changed = breakage.apply(operations);
                // Applied a little later (where asked), so that racing writers all read before any of
                // them writes: without conditions they then all win, every time.
                return CompletableFuture.supplyAsync(() -> memory.transact(changed),
                        CompletableFuture.delayedExecutor(delayMillis, TimeUnit.MILLISECONDS)).thenCompose(f -> f).thenApply(versions -> {
                    // Report one result per operation asked for, as a correct engine would.
                    List<Long> out = new java.util.ArrayList<>(versions);
                    while (out.size() < operations.size()) {
                        out.add(0L);
                    }
                    return out;
                });
            }
        }, config.clock());
    }

    /** Every condition in a transaction treated as "none". */
    static List<WriteOp> ignoreConditions(List<WriteOp> ops) {
        return ops.stream().<WriteOp>map(op -> {
            if (op instanceof WriteOp.Put p) {
                return new WriteOp.Put(p.table(), p.key(), p.payload(), p.expiresAt(), Condition.none());
            } else if (op instanceof WriteOp.Delete d) {
                return new WriteOp.Delete(d.table(), d.key(), Condition.none());
            }
            return null;
        }).filter(op -> op != null).toList();
    }

    /** Deletes inside transactions silently dropped. */
    static List<WriteOp> dropDeletes(List<WriteOp> ops) {
        return ops.stream().filter(op -> !(op instanceof WriteOp.Delete)).toList();
    }

    static StorageConfig memory() {
        return StorageConfig.builder().backend("memory").build();
    }

    static class DialoguesIgnoringConditions extends DialogueStoreContract {
        @Override
        protected StorageConfig config(Path tempDir) {
            return memory();
        }

        @Override
        protected Storage open(StorageConfig config) {
            return broken(config, DomainKitCatchesBrokenBackendsTest::ignoreConditions, 20);
        }
    }

    static class DialoguesDroppingDeletes extends DialogueStoreContract {
        @Override
        protected StorageConfig config(Path tempDir) {
            return memory();
        }

        @Override
        protected Storage open(StorageConfig config) {
            return broken(config, DomainKitCatchesBrokenBackendsTest::dropDeletes, 0);
        }
    }

    static class DocumentsIgnoringConditions extends DocumentStoreContract {
        @Override
        protected StorageConfig config(Path tempDir) {
            return memory();
        }

        @Override
        int corpusSize() {
            return NativeSearchParityCatchesBrokenIndexesTest.SELF_TEST_CORPUS;
        }

        @Override
        protected Storage open(StorageConfig config) {
            return broken(config, DomainKitCatchesBrokenBackendsTest::ignoreConditions, 20);
        }
    }

    static class DocumentsDroppingDeletes extends DocumentStoreContract {
        @Override
        protected StorageConfig config(Path tempDir) {
            return memory();
        }

        @Override
        int corpusSize() {
            return NativeSearchParityCatchesBrokenIndexesTest.SELF_TEST_CORPUS;
        }

        @Override
        protected Storage open(StorageConfig config) {
            return broken(config, DomainKitCatchesBrokenBackendsTest::dropDeletes, 0);
        }
    }

    /** Runs a suite and returns failed test method name → failure message. */
    private static Map<String, String> failures(Class<?> run) {
        List<Event> failed = EngineTestKit.engine("junit-jupiter").selectors(selectClass(run)).execute()
                .testEvents().failed().list();
        Map<String, String> byMethod = new TreeMap<>();
        for (Event e : failed) {
            String method = e.getTestDescriptor().getSource().filter(MethodSource.class::isInstance)
                    .map(s -> ((MethodSource) s).getMethodName()).orElse(e.getTestDescriptor().getDisplayName());
            byMethod.put(method, e.getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable)
                    .map(String::valueOf).orElse(""));
        }
        return byMethod;
    }

    private static void assertCaught(Class<?> run, String... methods) {
        Map<String, String> failed = failures(run);
        for (String m : methods) {
            assertTrue(failed.containsKey(m), run.getSimpleName() + " must fail " + m + "; failed: " + failed.keySet());
        }
    }

    @Test
    @DisplayName("transactions that ignore conditions fail the dialogue races and id clashes")
    void dialoguesIgnoringConditions() {
        assertCaught(DialoguesIgnoringConditions.class, "concurrentUpdates", "duplicate",
                "perspectiveClash", "tension");
    }

    @Test
    @DisplayName("transactions that drop deletes fail the dialogue listing by status")
    void dialoguesDroppingDeletes() {
        assertCaught(DialoguesDroppingDeletes.class, "pages", "indexFollowsChanges");
    }

    @Test
    @DisplayName("transactions that ignore conditions fail the document races")
    void documentsIgnoringConditions() {
        assertCaught(DocumentsIgnoringConditions.class, "concurrentUpdates", "concurrentDeletes");
    }

    @Test
    @DisplayName("transactions that drop deletes fail the no-orphans checks and re-indexing")
    void documentsDroppingDeletes() {
        assertCaught(DocumentsDroppingDeletes.class, "deleteLeavesNoOrphans", "largeDocument", "deleteManyLinks",
                "idempotentAndUnlink");
    }
}
