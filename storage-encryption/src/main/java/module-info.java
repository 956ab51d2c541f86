/**
 * The encryption layer ({@code dev.polystore.encryption}): client-side encryption of every payload
 * with Google Tink AEAD, bound to store and key, over any backend. See docs/encryption.md.
 */
module dev.polystore.encryption {
    requires transitive dev.polystore;
    requires transitive com.google.crypto.tink;
    requires static com.google.crypto.tink.integration.awskms;
    requires org.slf4j;

    exports dev.polystore.encryption;

    uses dev.polystore.encryption.KeyProvider;

    provides dev.polystore.spi.StorageLayer with dev.polystore.encryption.EncryptionLayer;

    provides dev.polystore.encryption.KeyProvider with dev.polystore.encryption.CleartextFileKeyProvider,
            dev.polystore.encryption.EnvironmentKeyProvider, dev.polystore.encryption.AwsKmsKeyProvider;
}
