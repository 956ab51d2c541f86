package dev.polystore.testkit.reliability;

import dev.polystore.Key;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;
import dev.polystore.memory.MemoryBackend;
import java.util.concurrent.CompletableFuture;

/**
 * Test provider {@code brokenresume}: a backend that resumes a query by looking up the cursor's
 * key and, when that item has been deleted meanwhile, starts the query over (as an
 * "index of the last key, else 0" pager would). Sequential paging looks right; a reader paging
 * while writers delete sees keys twice. Test 5 must catch it.
 */
public final class RestartingCursorProvider implements StorageProvider {
    @Override
    public String name() {
        return "brokenresume";
    }

    @Override
    public StorageBackend open(ProviderContext context) {
        context.config().rejectUnknownKeys();
        return new ForwardingMemory(new MemoryBackend(context.clock()), name()) {
            @Override
            public CompletableFuture<RawPage> query(QuerySpec q) {
                if (q.exclusiveStartSk() == null) {
                    return delegate.query(q);
                }
                return delegate.get(q.table(), Key.of(q.pk(), q.exclusiveStartSk())).thenCompose(found -> delegate.query(
                        found.isPresent() ? q : new QuerySpec(q.table(), q.pk(), q.range(), q.limit(), q.direction(), null)));
            }
        };
    }
}
