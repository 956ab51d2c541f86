package dev.polystore.encryption;

import com.google.crypto.tink.Aead;
import dev.polystore.ConfigurationException;
import dev.polystore.spi.ConfigSection;
import java.security.GeneralSecurityException;

/**
 * {@code aws-kms:<path>}: a Tink JSON keyset file encrypted by an AWS KMS key, named by
 * {@code storage.encryption.kms_key_uri} ({@code aws-kms://arn:aws:kms:<region>:<account>:key/<id>}),
 * with the AWS SDK's default credentials. Needs {@code com.google.crypto.tink:tink-awskms} on the
 * class path (an optional dependency of this module: add it to your build to use this scheme; it
 * brings the AWS SDK for Java v1's KMS client).
 */
public final class AwsKmsKeyProvider extends KekEncryptedFileKeyProvider {
    /** The setting naming the KMS key. */
    static final String KEY_URI = "kms_key_uri";

    @Override
    public String scheme() {
        return "aws-kms";
    }

    @Override
    protected Aead keyEncryptionKey(ConfigSection config, String configKey) throws GeneralSecurityException {
        String uri = config.requireString(KEY_URI, "the AWS KMS key that encrypts " + configKey
                + ", as aws-kms://arn:aws:kms:<region>:<account>:key/<id>");
        if (!uri.startsWith("aws-kms://")) {
            throw new ConfigurationException(config.fullKey(KEY_URI) + " = \"" + uri
                    + "\": expected aws-kms://arn:aws:kms:<region>:<account>:key/<id>");
        }
        try {
            Class.forName("com.google.crypto.tink.integration.awskms.AwsKmsClient", false,
                    AwsKmsKeyProvider.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new ConfigurationException(configKey + " uses aws-kms, which needs com.google.crypto.tink:tink-awskms"
                    + " on the class path (see docs/encryption.md, \"Key providers\")", e);
        }
        return AwsKms.aead(uri);
    }

    /** Kept apart so that the KMS client's classes load only when this scheme is used. */
    private static final class AwsKms {
        static Aead aead(String uri) throws GeneralSecurityException {
            return new com.google.crypto.tink.integration.awskms.AwsKmsClient(uri).withDefaultCredentials().getAead(uri);
        }
    }
}
