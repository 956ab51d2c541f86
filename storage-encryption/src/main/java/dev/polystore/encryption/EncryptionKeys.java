package dev.polystore.encryption;

/** The keys of one encryption layer: the item cipher and the blinder. */
record EncryptionKeys(ItemCipher cipher, KeyBlinder blinder) {
}
