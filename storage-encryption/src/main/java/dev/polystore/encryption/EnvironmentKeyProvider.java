package dev.polystore.encryption;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import dev.polystore.ConfigurationException;
import dev.polystore.spi.ConfigSection;
import java.security.GeneralSecurityException;

/**
 * {@code env:<VARIABLE>}: a Tink JSON keyset in the clear, held by an environment variable (as a
 * secret store injects it into a container). The variable's value is never logged or shown.
 */
public final class EnvironmentKeyProvider implements KeyProvider {
    @Override
    public String scheme() {
        return "env";
    }

    @Override
    public KeysetHandle load(String location, ConfigSection config, String configKey) throws GeneralSecurityException {
        String json = System.getenv(location);
        if (json == null || json.isBlank()) {
            throw new ConfigurationException(configKey + ": environment variable " + location
                    + " is not set: expected a Tink JSON keyset");
        }
        return TinkJsonProtoKeysetFormat.parseKeyset(json, InsecureSecretKeyAccess.get());
    }
}
