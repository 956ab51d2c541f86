package dev.polystore.testkit;

import dev.polystore.ConfigurationException;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageLayer;
import java.util.concurrent.atomic.AtomicInteger;

/** Layers registered for {@link StoreFactoryTest}: they record their place in the chain and their closing. */
final class TestLayers {
    /** How many {@link Tagged} backends were closed since the last reset. */
    static final AtomicInteger CLOSED = new AtomicInteger();

    private TestLayers() {
    }

    /** The backend a test layer returns: it knows which layer made it and its label. */
    static final class Tagged extends ForwardingStorageBackend {
        final String layer;
        final String label;

        Tagged(StorageBackend delegate, String layer, String label) {
            super(delegate);
            this.layer = layer;
            this.label = label;
        }

        @Override
        public void close() {
            CLOSED.incrementAndGet();
            super.close();
        }
    }

    abstract static class Tagging implements StorageLayer {
        @Override
        public StorageBackend wrap(StorageBackend inner, ProviderContext context) {
            String label = context.config().string("label", "");
            if (context.config().booleanValue("fail", false)) {
                throw new ConfigurationException(context.config().fullKey("fail") + " = true: this layer refuses to open");
            }
            context.config().rejectUnknownKeys();
            return new Tagged(inner, name(), label);
        }
    }

    public static final class Alpha extends Tagging {
        @Override
        public String name() {
            return "alpha";
        }
    }

    public static final class Beta extends Tagging {
        @Override
        public String name() {
            return "beta";
        }
    }

    /** A layer that returns no backend: the factory must refuse it and close what it opened. */
    public static final class ReturnsNull implements StorageLayer {
        @Override
        public String name() {
            return "nothing";
        }

        @Override
        public StorageBackend wrap(StorageBackend inner, ProviderContext context) {
            return null;
        }
    }
}
