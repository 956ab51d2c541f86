package dev.polystore.testkit.coordination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectNestedClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectNestedMethod;

import dev.polystore.Codec;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.StoreException;
import dev.polystore.StoreFactory;
import dev.polystore.event.EventHandler;
import dev.polystore.event.EventStore;
import dev.polystore.event.ExpectedRevision;
import dev.polystore.event.NewEvent;
import dev.polystore.event.Subscription;
import dev.polystore.event.SubscriptionOptions;
import dev.polystore.memory.MemoryBackend;
import dev.polystore.spi.ChangeNotifier;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.testkit.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * The coordination contracts are themselves tested: implementations that are subtly wrong must
 * make specific tests fail (while the memory backend passes them all, in the Memory* tests).
 */
class CoordinationKitCatchesBrokenImplementationsTest {

    static StorageConfig memory() {
        return StorageConfig.builder().backend("memory").build();
    }

    static class LeasesIgnoringFences extends LeaseContract {
        @Override
        protected StorageConfig config(Path tempDir) {
            return memory();
        }

        @Override
        protected boolean sharedAcrossProcesses() {
            return false;
        }

        @Override
        protected Storage open(StorageConfig config) {
            return BrokenCoordination.ignoringFences(config.clock());
        }
    }

    static class LeasesWithLocalTokens extends LeaseContract {
        @Override
        protected StorageConfig config(Path tempDir) {
            return memory();
        }

        @Override
        protected boolean sharedAcrossProcesses() {
            return false;
        }

        @Override
        protected Storage open(StorageConfig config) {
            return BrokenCoordination.localTokens(config.clock());
        }
    }

    static class EventsIgnoringFences extends EventStoreContract {
        @Override
        protected StorageConfig config(Path tempDir) {
            return memory();
        }

        @Override
        protected boolean sharedAcrossProcesses() {
            return false;
        }

        @Override
        protected Storage open(StorageConfig config) {
            return BrokenCoordination.ignoringFences(config.clock());
        }
    }

    static class EventsOnNonAtomicTransactions extends EventStoreContract {
        @Override
        protected StorageConfig config(Path tempDir) {
            return memory();
        }

        @Override
        protected boolean sharedAcrossProcesses() {
            return false;
        }

        @Override
        protected Storage open(StorageConfig config) {
            return BrokenCoordination.nonAtomic(config.clock());
        }
    }

    static class EventsWithSilentNotifier extends EventStoreContract {
        @Override
        protected StorageConfig config(Path tempDir) {
            return memory();
        }

        @Override
        protected boolean sharedAcrossProcesses() {
            return false;
        }

        @Override
        protected Storage open(StorageConfig config) {
            return BrokenCoordination.silentNotifier(config.clock());
        }
    }

    static class EventsCheckpointingEarly extends EventStoreContract {
        @Override
        protected StorageConfig config(Path tempDir) {
            return memory();
        }

        @Override
        protected boolean sharedAcrossProcesses() {
            return false;
        }

        @Override
        protected Storage open(StorageConfig config) {
            return BrokenCoordination.checkpointingBeforeAcknowledgement(config.clock());
        }
    }

    /**
     * Runs the given tests of one group of a suite (the whole group without methods, the whole
     * suite when group is null) and returns failed test method name
     * → failure message. Only the group under test runs, so a broken implementation does not make
     * the build wait for the hang bounds of unrelated tests.
     */
    private static Map<String, String> failures(Class<?> run, Class<?> group, String... methods) {
        List<DiscoverySelector> selectors = new ArrayList<>();
        if (group == null) {
            selectors.add(selectClass(run));
        } else if (methods.length == 0) {
            selectors.add(selectNestedClass(List.of(run), group));
        } else {
            for (String m : methods) {
                selectors.add(selectNestedMethod(List.of(run), group, m));
            }
        }
        List<Event> failed = EngineTestKit.engine("junit-jupiter").selectors(selectors.toArray(DiscoverySelector[]::new))
                .execute()
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

    private static Map<String, String> assertCaught(Class<?> run, Class<?> group, String... methods) {
        Map<String, String> failed = failures(run, group, methods);
        for (String m : methods) {
            assertTrue(failed.containsKey(m), run.getSimpleName() + " must fail " + m + "; failed: " + failed.keySet());
        }
        return failed;
    }

    @Test
    @DisplayName("a backend that ignores the fence check fails the paused-holder test (and fenced appends)")
    void fenceIgnored() {
        Map<String, String> failed = assertCaught(LeasesIgnoringFences.class, LeaseContract.Fenced.class, "pausedHolder", "afterRelease");
        assertTrue(failed.get("pausedHolder").contains("does not check the fence"), failed.get("pausedHolder"));
        assertCaught(EventsIgnoringFences.class, EventStoreContract.Fenced.class, "fencedAppend");
    }

    @Test
    @DisplayName("tokens numbered by each process (reset on restart) fail the token test")
    void localTokens() {
        Map<String, String> failed = assertCaught(LeasesWithLocalTokens.class, LeaseContract.Tokens.class, "increase");
        assertTrue(failed.get("increase").contains("strictly increase"), failed.get("increase"));
    }

    @Test
    @DisplayName("transactions that are not atomic fail the idempotency tests")
    void nonAtomic() {
        assertCaught(EventsOnNonAtomicTransactions.class, EventStoreContract.Idempotency.class, "everyMode");
    }

    @Test
    @DisplayName("a declared wake-up hook that never wakes anyone fails the wake-up test")
    void silentNotifier() {
        assertCaught(EventsWithSilentNotifier.class, EventStoreContract.Subscriptions.class, "wakeUp");
    }

    @Test
    @DisplayName("a subscription that checkpoints before the handler acknowledged fails the kill-and-restart test")
    void earlyCheckpoint() {
        Map<String, String> failed = assertCaught(EventsCheckpointingEarly.class, EventStoreContract.Subscriptions.class, "killedAndRestarted");
        assertTrue(failed.get("killedAndRestarted").contains("skipped"), failed.get("killedAndRestarted"));
    }

    @Test
    @DisplayName("declaring CHANGE_NOTIFICATIONS without a notifier fails clearly at events()")
    void declaredWithoutNotifier() {
        MutableClock clock = MutableClock.startingNow();
        try (Storage s = StoreFactory.open(new ForwardingStorageBackend(new MemoryBackend(clock)) {
            @Override
            public Optional<ChangeNotifier> changeNotifier() {
                return Optional.empty();
            }
        }, clock)) {
            StoreException e = assertThrows(StoreException.class, () -> s.events(Codec.utf8()));
            assertTrue(e.getMessage().contains("CHANGE_NOTIFICATIONS"), e.getMessage());
        }
    }

    @Test
    @DisplayName("when every notification is lost, polling still delivers (the safety net)")
    void lostNotifications() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        try (Storage s = BrokenCoordination.silentNotifier(clock)) {
            EventStore<String> events = s.events(Codec.utf8());
            events.append("net-1", ExpectedRevision.noStream(), List.of(NewEvent.of("a", "t", "x"))).join();
            List<Long> seen = new CopyOnWriteArrayList<>();
            Subscription sub = events.subscribe("net-1", SubscriptionOptions.builder().pollInterval(Duration.ofMillis(20))
                    .build(), EventHandler.of(e -> seen.add(e.revision())));
            try {
                sub.caughtUp().get(60, TimeUnit.SECONDS);
                events.append("net-1", ExpectedRevision.exactly(0), List.of(NewEvent.of("b", "t", "y"))).join();
                EventStoreContract.waitUntil(() -> seen.size() == 2, "delivered by polling");
                assertEquals(List.of(0L, 1L), seen);
            } finally {
                sub.close();
            }
        }
    }
}
