package dev.polystore.testkit.broken;

import dev.polystore.StorageConfig;
import dev.polystore.memory.MemoryBackend;
import dev.polystore.spi.ImportMode;
import dev.polystore.spi.ImportOutcome;
import dev.polystore.spi.ScanPlan;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.ScanPage;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;
import dev.polystore.testkit.migration.MigrationContract;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Backends with one realistic scan or import bug each, and the migration contract pointed at
 * them (the run classes' names do not end in "Test": {@link KitCatchesBrokenMigrationTest} runs
 * them and checks they fail).
 */
final class BrokenMigrationBackends {
    private BrokenMigrationBackends() {
    }

    /** Imports every item unconditionally whatever the mode: IF_NEWER behaves like OVERWRITE. */
    public static final class ImportIgnoresMode implements StorageProvider {
        @Override
        public String name() {
            return "brokenimportmode";
        }

        @Override
        public StorageBackend open(ProviderContext context) {
            return new ForwardingStorageBackend(new MemoryBackend(context.clock())) {
                @Override
                public CompletableFuture<List<ImportOutcome>> importItems(String table, List<RawItem> items, ImportMode mode) {
                    return delegate.importItems(table, items, ImportMode.OVERWRITE);
                }
            };
        }
    }

    /**
     * Resumes a segment one item too far (an exclusive bound applied twice): the first item of
     * every page after a segment's first is lost.
     */
    public static final class ResumeSkipsItem implements StorageProvider {
        @Override
        public String name() {
            return "brokenscanresume";
        }

        @Override
        public StorageBackend open(ProviderContext context) {
            Set<String> starts = ConcurrentHashMap.newKeySet();
            return new ForwardingStorageBackend(new MemoryBackend(context.clock())) {
                @Override
                public CompletableFuture<ScanPlan> scanSegments(String table, int segments) {
                    return delegate.scanSegments(table, segments).thenApply(plan -> {
                        starts.addAll(plan.positions());
                        return plan;
                    });
                }

                @Override
                public CompletableFuture<ScanPage> scan(String table, String position, int limit) {
                    return delegate.scan(table, position, limit).thenApply(page -> {
                        if (starts.contains(position) || page.items().isEmpty()) {
                            return page;
                        }
                        List<RawItem> items = page.items().subList(1, page.items().size());
                        return new ScanPage(items, page.next(), page.expiredSkipped());
                    });
                }
            };
        }
    }

    abstract static class Run extends MigrationContract {
        abstract String backend();

        @Override
        protected StorageConfig config(Path tempDir) {
            return StorageConfig.builder().backend(backend()).build();
        }
    }

    static class ImportIgnoresModeRun extends Run {
        @Override
        String backend() {
            return "brokenimportmode";
        }
    }

    static class ResumeSkipsItemRun extends Run {
        @Override
        String backend() {
            return "brokenscanresume";
        }
    }
}
