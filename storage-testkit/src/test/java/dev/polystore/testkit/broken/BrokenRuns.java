package dev.polystore.testkit.broken;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.StorageContract;
import java.nio.file.Path;

/**
 * The contract suite pointed at each broken backend. Not run by Surefire directly (the names do
 * not end in "Test"); {@link KitCatchesBrokenBackendsTest} runs them and checks they fail.
 */
final class BrokenRuns {
    private BrokenRuns() {
    }

    abstract static class Base extends StorageContract {
        abstract String backend();

        @Override
        protected StorageConfig config(Path tempDir) {
            return StorageConfig.builder().backend(backend()).build();
        }

        @Override
        protected boolean persistent() {
            return false;
        }
    }

    static class IgnoresConditionsRun extends Base {
        @Override
        String backend() {
            return "brokenconditions";
        }
    }

    static class JavaStringOrderRun extends Base {
        @Override
        String backend() {
            return "brokenorder";
        }
    }

    static class LikePrefixRun extends Base {
        @Override
        String backend() {
            return "brokenprefix";
        }
    }

    static class ClosesEarlyRun extends Base {
        @Override
        String backend() {
            return "brokenclose";
        }
    }

    static class HotKeyGivesUpRun extends Base {
        @Override
        String backend() {
            return "brokenhotkey";
        }
    }

    static class LeaksExpiredRun extends Base {
        @Override
        String backend() {
            return "brokenexpiry";
        }
    }

    static class NonAtomicDeleteRun extends Base {
        @Override
        String backend() {
            return "brokendelete";
        }
    }

    static class UnlockedPutRun extends Base {
        @Override
        String backend() {
            return "brokenputlock";
        }
    }

    static class NoResumePositionRun extends Base {
        @Override
        String backend() {
            return "brokennoresume";
        }
    }

    /** The memory backend with the durability test left on, as an author who forgot persistent() would. */
    static class ForgotPersistentRun extends StorageContract {
        @Override
        protected StorageConfig config(Path tempDir) {
            return StorageConfig.builder().backend("memory").build();
        }
    }
}
