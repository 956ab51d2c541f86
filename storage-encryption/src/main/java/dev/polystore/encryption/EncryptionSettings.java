package dev.polystore.encryption;

import com.google.crypto.tink.KeysetHandle;
import dev.polystore.ConfigurationException;
import dev.polystore.spi.ConfigSection;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads {@code [storage.encryption]} (docs/configuration.md) and loads its keysets through the
 * {@link KeyProvider}s found with {@link ServiceLoader}. Every failure is a
 * {@link ConfigurationException} naming the key at fault, never showing key material.
 */
final class EncryptionSettings {
    static final String KEYSET = "keyset";
    static final String BLIND_KEYSET = "blind_keyset";
    private static final Pattern SOURCE = Pattern.compile("([a-z][a-z0-9-]*):(.+)", Pattern.DOTALL);

    private EncryptionSettings() {
    }

    /** The keysets of the section; calls {@link ConfigSection#rejectUnknownKeys()}. */
    static EncryptionKeys open(ConfigSection config) {
        String aeadSource = config.requireString(KEYSET, "a Tink AEAD keyset as \"<provider>:<location>\", e.g."
                + " \"aws-kms:/etc/app/keyset.json\" or \"env:POLYSTORE_KEYSET\" (see docs/encryption.md)");
        String prfSource = config.requireString(BLIND_KEYSET, "a Tink PRF (HMAC-SHA256) keyset for blind search"
                + " terms and index keys, as \"<provider>:<location>\" (see docs/encryption.md)");
        Map<String, KeyProvider> providers = providers();
        KeysetHandle aead = load(config, KEYSET, aeadSource, providers);
        KeysetHandle prf = load(config, BLIND_KEYSET, prfSource, providers);
        config.rejectUnknownKeys();
        ItemCipher cipher;
        try {
            cipher = new ItemCipher(aead);
        } catch (GeneralSecurityException e) {
            throw new ConfigurationException(config.fullKey(KEYSET) + ": not a usable Tink AEAD keyset ("
                    + e.getMessage() + ")", e);
        }
        KeyBlinder blinder;
        try {
            blinder = new KeyBlinder(prf);
        } catch (GeneralSecurityException e) {
            throw new ConfigurationException(config.fullKey(BLIND_KEYSET) + ": not a usable Tink PRF keyset ("
                    + e.getMessage() + ")", e);
        }
        return new EncryptionKeys(cipher, blinder);
    }

    private static KeysetHandle load(ConfigSection config, String key, String source, Map<String, KeyProvider> providers) {
        String fullKey = config.fullKey(key);
        var m = SOURCE.matcher(source.trim());
        if (!m.matches()) {
            throw new ConfigurationException(fullKey + ": expected \"<provider>:<location>\" with a provider of "
                    + providers.keySet());
        }
        KeyProvider provider = providers.get(m.group(1));
        if (provider == null) {
            throw new ConfigurationException(fullKey + ": no key provider '" + m.group(1) + "'; there are "
                    + providers.keySet());
        }
        try {
            return provider.load(m.group(2), config, fullKey);
        } catch (GeneralSecurityException | IOException e) {
            // Tink's messages name what is malformed, never key bytes.
            throw new ConfigurationException(fullKey + ": the keyset from provider '" + m.group(1)
                    + "' could not be read (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            if (e instanceof ConfigurationException) {
                throw e;
            }
            throw new ConfigurationException(fullKey + ": the keyset from provider '" + m.group(1)
                    + "' is malformed (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    private static Map<String, KeyProvider> providers() {
        Map<String, KeyProvider> out = new TreeMap<>();
        for (KeyProvider p : ServiceLoader.load(KeyProvider.class, EncryptionSettings.class.getClassLoader())) {
            KeyProvider other = out.putIfAbsent(p.scheme(), p);
            if (other != null) {
                throw new ConfigurationException("two key providers for scheme '" + p.scheme() + "': "
                        + other.getClass().getName() + " and " + p.getClass().getName());
            }
        }
        return out;
    }
}
