package dev.polystore.encryption;

import com.google.crypto.tink.KeysetHandle;
import dev.polystore.spi.ConfigSection;
import java.io.IOException;
import java.security.GeneralSecurityException;

/**
 * Where a Tink keyset comes from. A keyset is configured as {@code "<scheme>:<location>"} (e.g.
 * {@code keyset = "env:POLYSTORE_KEYSET"}); the provider whose {@link #scheme()} matches loads it.
 * Built in: {@code cleartext-file} (development only), {@code env} and {@code aws-kms} (a keyset
 * file encrypted by an AWS KMS key). Other key management systems plug in by implementing this
 * interface and registering it in {@code META-INF/services/dev.polystore.encryption.KeyProvider}
 * (and {@code provides} in {@code module-info.java}); {@link KekEncryptedFileKeyProvider} does the
 * work for any KMS that hands out a Tink {@link com.google.crypto.tink.Aead} as key-encryption key.
 *
 * <p>Implementations need a public no-argument constructor and are thread-safe. They never log or
 * put key material into messages.
 */
public interface KeyProvider {
    /** The scheme before the first {@code :} of a keyset setting: lower-case letters, digits and {@code -}. */
    String scheme();

    /**
     * Loads the keyset at {@code location}.
     *
     * @param location what follows {@code <scheme>:} in the setting
     * @param config the {@code [storage.encryption]} section (for the provider's own keys, which it
     *               reads with its getters so that {@link ConfigSection#rejectUnknownKeys()} accepts them)
     * @param configKey the full name of the setting being loaded, for messages
     * @throws dev.polystore.ConfigurationException if the location or a setting is wrong (naming {@code configKey})
     * @throws GeneralSecurityException if the keyset cannot be parsed or decrypted
     * @throws IOException if the keyset cannot be read
     */
    KeysetHandle load(String location, ConfigSection config, String configKey) throws GeneralSecurityException, IOException;
}
