package dev.polystore.encryption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.polystore.Codec;
import dev.polystore.IntegrityException;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Storage;
import dev.polystore.Store;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Alters stored ciphertexts in the engine directly (not through Polystore) and checks that every
 * read of an altered item fails with {@link IntegrityException}, never returning bytes. Shared by
 * the SQLite and DynamoDB tamper tests; each supplies raw access to its engine.
 */
final class TamperSuite {
    private static final Logger LOG = LoggerFactory.getLogger(TamperSuite.class);

    /** Raw access to the stored payload of an item, around Polystore. */
    interface Engine {
        byte[] read(String store, Key key) throws Exception;

        void write(String store, Key key, byte[] payload) throws Exception;
    }

    /** What the suite did. */
    record Figures(String engine, int bitFlips, int truncations, int extensions, int keySwaps, int storeSwaps,
                   int rejected, int attempts, boolean replayAccepted) {
        @Override
        public String toString() {
            return engine + ": " + attempts + " altered reads (" + bitFlips + " bit flips at every byte position, "
                    + truncations + " truncations, " + extensions + " extensions, " + keySwaps + " swaps between keys, "
                    + storeSwaps + " swaps between stores): " + rejected + " rejected with IntegrityException ("
                    + (100.0 * rejected / attempts) + " %); replay of an older ciphertext of the same key: "
                    + (replayAccepted ? "accepted (versions are not bound, docs/encryption.md)" : "rejected");
        }
    }

    private final Storage storage;
    private final Engine engine;
    private int rejected;
    private int attempts;

    TamperSuite(Storage storage, Engine engine) {
        this.storage = storage;
        this.engine = engine;
    }

    Figures run(String name, String run) throws Exception {
        Store<byte[]> a = storage.store("tampera", Codec.bytes());
        Store<byte[]> b = storage.store("tamperb", Codec.bytes());
        Random random = new Random(17);
        List<Key> samples = new ArrayList<>();
        int[] sizes = {0, 1, 16, 300};
        for (int i = 0; i < sizes.length; i++) {
            byte[] v = new byte[sizes[i]];
            random.nextBytes(v);
            Key k = Key.of(run + "p", "s" + i);
            a.put(Item.of(k, v)).join();
            b.put(Item.of(k, v)).join();
            samples.add(k);
        }
        int flips = 0;
        int truncations = 0;
        int extensions = 0;
        for (Key k : samples) {
            byte[] good = engine.read("tampera", k);
            for (int pos = 0; pos < good.length; pos++) {
                byte[] bad = good.clone();
                bad[pos] ^= (byte) (1 << (pos % 8));
                expectRejected(a, k, bad);
                flips++;
            }
            for (int len = 0; len < good.length; len += (good.length > 64 ? 7 : 1)) {
                expectRejected(a, k, Arrays.copyOf(good, len));
                truncations++;
            }
            for (int extra : new int[] {1, 16}) {
                expectRejected(a, k, Arrays.copyOf(good, good.length + extra));
                extensions++;
            }
            engine.write("tampera", k, good);
            assertTrue(a.get(k.pk(), k.sk()).join().isPresent(), "the restored item reads again");
        }
        int keySwaps = 0;
        for (int i = 0; i + 1 < samples.size(); i++) {
            Key from = samples.get(i);
            Key to = samples.get(i + 1);
            byte[] keep = engine.read("tampera", to);
            expectRejected(a, to, engine.read("tampera", from));
            engine.write("tampera", to, keep);
            keySwaps++;
        }
        int storeSwaps = 0;
        for (Key k : samples) {
            byte[] keep = engine.read("tamperb", k);
            expectRejected(b, k, engine.read("tampera", k));
            engine.write("tamperb", k, keep);
            storeSwaps++;
        }
        // Replay: an older ciphertext of the same key, written back after a newer one.
        Key r = samples.get(2);
        byte[] old = engine.read("tampera", r);
        byte[] oldValue = a.get(r.pk(), r.sk()).join().orElseThrow().value();
        a.put(Item.of(r, new byte[] {9, 9, 9})).join();
        engine.write("tampera", r, old);
        boolean replayAccepted;
        try {
            assertArrayEquals(oldValue, a.get(r.pk(), r.sk()).join().orElseThrow().value());
            replayAccepted = true;
        } catch (CompletionException e) {
            replayAccepted = !(e.getCause() instanceof IntegrityException);
        }
        Figures f = new Figures(name, flips, truncations, extensions, keySwaps, storeSwaps, rejected, attempts,
                replayAccepted);
        LOG.info("tamper suite {}", f);
        System.out.println("tamper suite " + f);
        assertEquals(attempts, rejected, "every altered item must be rejected");
        assertTrue(replayAccepted, "replay of an older ciphertext is accepted: versions are not bound (documented)");
        return f;
    }

    private void expectRejected(Store<byte[]> s, Key k, byte[] altered) throws Exception {
        String store = s == null ? "?" : s.name();
        engine.write(store, k, altered);
        attempts++;
        try {
            var got = s.get(k.pk(), k.sk()).join();
            fail("an altered item of " + altered.length + " bytes was read: " + got.map(i -> i.value().length + " bytes")
                    .orElse("absent"));
        } catch (CompletionException e) {
            if (e.getCause() instanceof IntegrityException ie) {
                assertFalse(ie.getMessage().isEmpty());
                rejected++;
            } else {
                throw e;
            }
        }
    }
}
