package dev.polystore.testkit.domain;

import dev.polystore.UnavailableException;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import dev.polystore.spi.ForwardingStorageBackend;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A view of a shared backend that "dies" after a number of transactions: from then on every
 * transaction fails without writing, as if the writing process had crashed between two steps.
 * Another view of the same backend plays the process that comes next.
 */
class CrashingBackend extends ForwardingStorageBackend {
    private final AtomicInteger transactionsLeft;

    CrashingBackend(StorageBackend shared, int transactionsBeforeCrash) {
        super(shared);
        this.transactionsLeft = new AtomicInteger(transactionsBeforeCrash);
    }

    @Override
    public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
        if (transactionsLeft.getAndDecrement() <= 0) {
            return CompletableFuture.failedFuture(new UnavailableException("simulated crash: nothing written", null));
        }
        return delegate.transact(operations);
    }

    @Override
    public void close() {
        // The shared backend outlives its views.
    }
}
