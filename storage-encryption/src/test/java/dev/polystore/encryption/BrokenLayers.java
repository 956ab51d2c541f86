package dev.polystore.encryption;

import dev.polystore.Key;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import dev.polystore.testkit.StorageContract;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Deliberately broken encryption layers the kit and the tamper suite must catch. Not run by
 * Surefire directly (no name ends in "Test"); {@link KitCatchesBrokenLayersTest} runs them.
 */
final class BrokenLayers {
    private BrokenLayers() {
    }

    /** Encrypts on the way in but hands the stored ciphertext back on reads. */
    static final class ReturnsCiphertext extends ForwardingStorageBackend {
        private final ItemCipher cipher;

        ReturnsCiphertext(StorageBackend inner) {
            super(inner);
            try {
                this.cipher = new ItemCipher(TestKeys.newAead());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public CompletableFuture<Long> put(WriteOp.Put p) {
            return delegate.put(new WriteOp.Put(p.table(), p.key(), cipher.encrypt(p.table(), p.key(), null, p.payload()),
                    p.expiresAt(), p.condition()));
        }

        @Override
        public CompletableFuture<Optional<RawItem>> get(String table, Key key) {
            return delegate.get(table, key);
        }
    }

    /** The core contract through {@link ReturnsCiphertext} on memory. */
    static class ReturnsCiphertextRun extends StorageContract {
        @Override
        protected StorageConfig config(Path tempDir) {
            return StorageConfig.builder().backend("memory").build();
        }

        @Override
        protected Storage open(StorageConfig config) {
            return StoreFactory.open(config, ReturnsCiphertext::new);
        }

        @Override
        protected boolean persistent() {
            return false;
        }
    }

    /** The real layer with the associated data left out: ciphertexts are not bound to store and key. */
    static StorageBackend unbound(StorageBackend inner) {
        try {
            return new EncryptingBackend(inner, new EncryptionKeys(new ItemCipher(TestKeys.newAead(), false),
                    new KeyBlinder(TestKeys.newPrf())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
