package dev.polystore.benchmarks;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * 1 KB JSON documents, a different one on every call: SQLite skips rewriting a page whose bytes
 * did not change, so benchmarks that wrote one payload again and again would measure less work
 * than real updates do. Each document is a template copy with a running sequence number and a
 * few random bytes patched in — cheap (~a 1 KB copy), and the same cost for every contender.
 *
 * <p>Not thread-safe: one instance per benchmark thread.
 */
public final class Payloads {
    /** Size of every payload in bytes. */
    public static final int SIZE = 1024;

    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    /** {"seq":"<16 hex>","tag":"<8 chars>","body":"<filler>"} */
    private static final int SEQ_AT = "{\"seq\":\"".length();
    private static final int TAG_AT = SEQ_AT + 16 + "\",\"tag\":\"".length();

    private final byte[] template;
    private final SplittableRandom random;
    private long seq;

    public Payloads(long seed) {
        this.random = new SplittableRandom(seed);
        StringBuilder json = new StringBuilder(SIZE);
        json.append("{\"seq\":\"").append("0".repeat(16)).append("\",\"tag\":\"").append("0".repeat(8))
                .append("\",\"body\":\"");
        int fill = SIZE - json.length() - 2;
        for (int i = 0; i < fill; i++) {
            json.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        json.append("\"}");
        this.template = json.toString().getBytes(StandardCharsets.US_ASCII);
        if (template.length != SIZE) {
            throw new AssertionError("payload template is " + template.length + " bytes");
        }
        this.seq = random.nextLong() >>> 1;
    }

    /** A new 1 KB JSON document, different from every earlier one of this instance. */
    public byte[] next() {
        byte[] p = template.clone();
        long s = seq++;
        for (int i = 15; i >= 0; i--) {
            p[SEQ_AT + i] = HEX[(int) (s & 0xF)];
            s >>>= 4;
        }
        long r = random.nextLong();
        for (int i = 0; i < 8; i++) {
            p[TAG_AT + i] = (byte) ALPHABET.charAt((int) ((r >>> (i * 7)) & 0x3F) % ALPHABET.length());
        }
        return p;
    }
}
