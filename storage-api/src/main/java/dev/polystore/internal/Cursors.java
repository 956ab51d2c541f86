package dev.polystore.internal;

import dev.polystore.ConfigurationException;
import dev.polystore.Direction;
import dev.polystore.KeyRange;
import dev.polystore.Limits;
import dev.polystore.StoreException;
import dev.polystore.ValidationException;
import dev.polystore.spi.SortKeys;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Opaque page cursors, sealed with the JDK's AES-256-GCM ({@code javax.crypto}).
 *
 * <p>A cursor is {@code base64url(format byte ‖ 96-bit random nonce ‖ AES-GCM(sort key) ‖
 * 128-bit tag)}, without padding. The query it belongs to — store, partition key, range and
 * direction — is the associated data, authenticated but not carried: a cursor only opens for the
 * query whose page produced it. Opening checks, in order: the exact canonical base64 form (no
 * padding, no stray bits, nothing appended), the length, the format byte, the tag (any other
 * alteration, truncation or splice, another query's cursor, another secret's cursor), then the
 * sort key inside: valid UTF-8, a valid sort key (non-empty, at most
 * {@value Limits#MAX_SK_BYTES} bytes, no U+0000) inside the query's range. Every failure is a
 * {@link ValidationException} that shows neither the cursor nor a key.
 *
 * <p>The AES key is derived with HKDF-SHA256 (RFC 5869, over the JDK's {@code HmacSHA256}) from
 * the cursor secret ({@code [storage] cursor_secret}); without one, from a built-in secret that
 * is public (see {@code docs/configuration.md}). Nothing depends on the backend or the process,
 * so a cursor opens on every storage configured with the same secret: another backend, another
 * instance of the service, after a restart.
 *
 * <p>Thread-safe.
 */
public final class Cursors implements CursorCodec {
    /** Format of the cursors this class makes; format 1 (before 0.1) was base64 text with the key in clear. */
    static final byte FORMAT = 2;
    /** Shortest secret accepted, in UTF-8 bytes. */
    public static final int MIN_SECRET_BYTES = 32;
    /** Longest secret accepted, in UTF-8 bytes (a bound on what is read from the environment). */
    public static final int MAX_SECRET_BYTES = 1024;
    /** The secret used when none is configured. Public by construction: it is in this source file. */
    static final String DEFAULT_SECRET = "polystore built-in cursor secret: public, set [storage] cursor_secret";

    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final int TAG_BYTES = TAG_BITS / 8;
    private static final int OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES;
    /** The longest cursor this class makes: a sort key of the maximum length. */
    static final int MAX_CURSOR_CHARS = (4 * (OVERHEAD + Limits.MAX_SK_BYTES) + 2) / 3;
    private static final byte[] HKDF_SALT = "dev.polystore cursors".getBytes(StandardCharsets.UTF_8);
    private static final byte[] HKDF_INFO = "AES-256-GCM key, cursor format 2".getBytes(StandardCharsets.UTF_8);

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Cursors DEFAULT = new Cursors(DEFAULT_SECRET.getBytes(StandardCharsets.UTF_8), false);
    /**
     * One cipher per thread, initialised afresh (key and nonce) for every cursor: a new
     * {@code Cipher} per cursor costs about five times the sealing itself.
     */
    private static final ThreadLocal<Cipher> CIPHER = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new StoreException("this JVM has no AES/GCM/NoPadding, which every Java SE implementation must provide", e);
        }
    });

    private final SecretKeySpec key;
    private final boolean configured;

    private Cursors(byte[] secret, boolean configured) {
        this.key = new SecretKeySpec(hkdfSha256(secret, HKDF_SALT, HKDF_INFO, 32), "AES");
        this.configured = configured;
    }

    /** Cursors under the built-in, public secret: what a storage uses without {@code cursor_secret}. */
    public static Cursors withDefaultSecret() {
        return DEFAULT;
    }

    /**
     * Cursors under {@code secret}.
     *
     * @throws ConfigurationException naming {@code storage.cursor_secret} (never its value) if the
     *                                secret is shorter than {@value #MIN_SECRET_BYTES} or longer
     *                                than {@value #MAX_SECRET_BYTES} UTF-8 bytes
     */
    public static Cursors withSecret(String secret) {
        Objects.requireNonNull(secret, "secret");
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < MIN_SECRET_BYTES || bytes.length > MAX_SECRET_BYTES) {
            throw new ConfigurationException("storage.cursor_secret is " + bytes.length + " bytes (value not shown); "
                    + "expected " + MIN_SECRET_BYTES + " to " + MAX_SECRET_BYTES + " bytes of UTF-8, e.g. the output of "
                    + "`openssl rand -base64 32`. Every instance that hands out or accepts the same cursors needs the "
                    + "same secret (see docs/configuration.md)");
        }
        return new Cursors(bytes, true);
    }

    /** {@link #withSecret} if {@code secret} is set, else {@link #withDefaultSecret()}. */
    public static Cursors fromConfig(String secret) {
        return secret == null ? withDefaultSecret() : withSecret(secret);
    }

    /** Whether a secret was configured (otherwise the public built-in one is used). */
    public boolean secretConfigured() {
        return configured;
    }

    @Override
    public String encode(String table, String pk, KeyRange range, Direction direction, String lastSk) {
        byte[] sk = Objects.requireNonNull(lastSk, "lastSk").getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[OVERHEAD + sk.length];
        out[0] = FORMAT;
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        System.arraycopy(nonce, 0, out, 1, NONCE_BYTES);
        try {
            Cipher cipher = CIPHER.get();
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(associatedData(table, pk, range, direction));
            int written = cipher.doFinal(sk, 0, sk.length, out, 1 + NONCE_BYTES);
            if (written != sk.length + TAG_BYTES) {
                throw new IllegalStateException("AES-GCM wrote " + written + " bytes, expected " + (sk.length + TAG_BYTES));
            }
        } catch (GeneralSecurityException e) {
            throw new StoreException("could not seal a page cursor: this JVM's AES-GCM failed", e);
        }
        return ENCODER.encodeToString(out);
    }

    @Override
    public String decode(String cursor, String table, String pk, KeyRange range, Direction direction) {
        Objects.requireNonNull(cursor, "cursor");
        if (cursor.isEmpty() || cursor.length() > MAX_CURSOR_CHARS) {
            throw malformed(null);
        }
        byte[] raw;
        try {
            raw = DECODER.decode(cursor);
        } catch (IllegalArgumentException e) {
            throw malformed(e);
        }
        // Only the exact string handed out: no padding, no non-zero spare bits in the last character.
        if (raw.length == 0 || !ENCODER.encodeToString(raw).equals(cursor)) {
            throw malformed(null);
        }
        if (raw[0] != FORMAT) {
            throw new ValidationException("cursor of an unknown format: it was altered, or handed out by another "
                    + "version of Polystore; run the query again without a cursor");
        }
        if (raw.length < OVERHEAD + 1) {
            throw malformed(null);
        }
        byte[] sk;
        try {
            Cipher cipher = CIPHER.get();
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, raw, 1, NONCE_BYTES));
            cipher.updateAAD(associatedData(table, pk, range, direction));
            sk = cipher.doFinal(raw, 1 + NONCE_BYTES, raw.length - 1 - NONCE_BYTES);
        } catch (AEADBadTagException e) {
            throw rejected(e);
        } catch (GeneralSecurityException e) {
            throw new StoreException("could not open a page cursor: this JVM's AES-GCM failed", e);
        }
        return validSortKey(sk, range);
    }

    /** Checks what a genuine cursor holds anyway, so no key the API would refuse can reach a backend. */
    private static String validSortKey(byte[] sk, KeyRange range) {
        String key;
        try {
            key = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(sk)).toString();
            Keys.requireSk(key);
        } catch (CharacterCodingException | ValidationException e) {
            throw rejected(null);
        }
        if (!SortKeys.inRange(key, range)) {
            throw rejected(null);
        }
        return key;
    }

    private static ValidationException malformed(Throwable cause) {
        return new ValidationException("malformed cursor: pass back exactly the string Page.cursor() returned, "
                + "unchanged (cursors are URL-safe; do not re-encode them)", cause);
    }

    private static ValidationException rejected(Throwable cause) {
        return new ValidationException("cursor rejected: it was altered, or it belongs to another query (a cursor "
                + "resumes only the store, partition, range and direction whose page returned it), or it was handed "
                + "out by a storage with another cursor_secret; run the query again without a cursor", cause);
    }

    /** The query a cursor belongs to, unambiguously: every string length-prefixed. */
    static byte[] associatedData(String table, String pk, KeyRange range, Direction direction) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + pk.length() * 3);
        out.write(FORMAT);
        field(out, table);
        field(out, pk);
        if (range instanceof KeyRange.All) {
            out.write('A');
        } else if (range instanceof KeyRange.Prefix p) {
            out.write('P');
            field(out, p.prefix());
        } else if (range instanceof KeyRange.Between b) {
            out.write('B');
            field(out, b.from());
            field(out, b.to());
        } else if (range instanceof KeyRange.AtLeast a) {
            out.write('G');
            field(out, a.from());
        } else if (range instanceof KeyRange.AtMost a) {
            out.write('L');
            field(out, a.to());
        } else {
            throw new IllegalArgumentException("unknown key range " + range.getClass().getName());
        }
        out.write(direction == Direction.ASCENDING ? 'a' : 'd');
        return out.toByteArray();
    }

    private static void field(ByteArrayOutputStream out, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        out.write(bytes.length >>> 24);
        out.write(bytes.length >>> 16);
        out.write(bytes.length >>> 8);
        out.write(bytes.length);
        out.write(bytes, 0, bytes.length);
    }

    /** HKDF with HMAC-SHA256 (RFC 5869): extract, then expand to {@code length} bytes. */
    static byte[] hkdfSha256(byte[] inputKeyMaterial, byte[] salt, byte[] info, int length) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(salt.length == 0 ? new byte[32] : salt, "HmacSHA256"));
            byte[] prk = mac.doFinal(inputKeyMaterial);
            mac.init(new SecretKeySpec(prk, "HmacSHA256"));
            byte[] okm = new byte[length];
            byte[] block = new byte[0];
            int filled = 0;
            for (int counter = 1; filled < length; counter++) {
                mac.update(block);
                mac.update(info);
                mac.update((byte) counter);
                block = mac.doFinal();
                int n = Math.min(block.length, length - filled);
                System.arraycopy(block, 0, okm, filled, n);
                filled += n;
            }
            Arrays.fill(prk, (byte) 0);
            return okm;
        } catch (GeneralSecurityException e) {
            throw new StoreException("this JVM has no HmacSHA256, which every Java SE implementation must provide", e);
        }
    }
}
