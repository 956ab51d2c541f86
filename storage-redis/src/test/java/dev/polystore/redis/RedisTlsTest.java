package dev.polystore.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.StoreException;
import dev.polystore.StoreFactory;
import dev.polystore.testkit.redis.RedisProcess;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS against a real redis-server with a TLS port (the embedded binary is built with TLS), its
 * certificate made by the JDK's keytool for 127.0.0.1: {@code rediss://} with
 * {@code tls_ca_file} verifies the chain and the host name; without the CA the open fails.
 */
class RedisTlsTest {
    @TempDir
    Path dir;

    private void keytool(String... args) throws Exception {
        String[] command = new String[args.length + 1];
        command[0] = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        System.arraycopy(args, 0, command, 1, args.length);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("keytool failed: " + out);
        }
    }

    @Test
    @DisplayName("rediss:// with tls_ca_file: verified TLS (chain and host name); an untrusted certificate fails the open")
    void tls() throws Exception {
        Path keystore = dir.resolve("redis.p12");
        keytool("-genkeypair", "-alias", "redis", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-keystore", keystore.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, "changeit".toCharArray());
        }
        Path cert = dir.resolve("cert.pem");
        Files.writeString(cert, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(ks.getCertificate("redis").getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        PrivateKey key = (PrivateKey) ks.getKey("redis", "changeit".toCharArray());
        Path keyFile = dir.resolve("key.pem");
        Files.writeString(keyFile, "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n");

        int tlsPort = RedisProcess.freePort();
        try (RedisProcess server = RedisProcess.builder()
                .set("tls-port", String.valueOf(tlsPort))
                .set("tls-cert-file", cert.toString())
                .set("tls-key-file", keyFile.toString())
                .set("tls-ca-cert-file", cert.toString())
                .set("tls-auth-clients", "no")
                .start()) {
            String uri = "rediss://127.0.0.1:" + tlsPort;
            try (Storage storage = StoreFactory.open(TestConfigs.redis(uri).set("redis.tls_ca_file", cert.toString()).build())) {
                var s = storage.store("tls", Codec.utf8());
                assertEquals(1, s.put(Item.of("p", "k", "over TLS")).get(1, TimeUnit.MINUTES).version());
                assertEquals("over TLS", s.get("p", "k").get(1, TimeUnit.MINUTES).orElseThrow().value());
            }
            assertThrows(StoreException.class, () -> StoreFactory.open(TestConfigs.redis(uri)
                    .set("redis.connect_timeout_ms", 2000).build()), "a certificate no trusted CA signed fails the open");
        }
    }
}
