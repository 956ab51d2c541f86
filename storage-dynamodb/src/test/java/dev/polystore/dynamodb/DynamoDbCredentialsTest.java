package dev.polystore.dynamodb;

import static dev.polystore.dynamodb.DynamoDbFaultTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Condition;
import dev.polystore.ConfigurationException;
import dev.polystore.Key;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.WriteOp;
import dev.polystore.testkit.MutableClock;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Credentials other than {@code credentials = "local"}: the SDK's default chain (here fed by
 * system properties) and a named profile (from a temporary credentials file). The SDK reads
 * both from system properties, which are restored after each test; instance metadata is
 * switched off so no test ever probes it.
 */
class DynamoDbCredentialsTest {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();

    private static final String[] PROPERTIES = {"aws.accessKeyId", "aws.secretAccessKey", "aws.sharedCredentialsFile",
            "aws.configFile", "aws.disableEc2Metadata"};
    private final Map<String, String> saved = new HashMap<>();

    @TempDir
    Path dir;

    @BeforeEach
    void save() {
        for (String p : PROPERTIES) {
            saved.put(p, System.getProperty(p));
        }
        System.setProperty("aws.disableEc2Metadata", "true");
    }

    @AfterEach
    void restore() {
        saved.forEach((p, v) -> {
            if (v == null) {
                System.clearProperty(p);
            } else {
                System.setProperty(p, v);
            }
        });
    }

    private DynamoDbBackend open(Map<String, String> values) {
        Map<String, String> section = new HashMap<>(TestConfigs.local(DYNAMODB.endpoint()).build().section("dynamodb"));
        section.remove("credentials");
        section.putAll(values);
        var config = new dev.polystore.spi.ConfigSection("storage.dynamodb", section);
        return (DynamoDbBackend) new DynamoDbStorageProvider().open(new ProviderContext(config, MutableClock.startingNow()));
    }

    private static void roundTrip(DynamoDbBackend backend) {
        await(backend.prepareTable("creds"));
        Key key = Key.of("creds-" + System.nanoTime(), "k");
        assertEquals(1L, await(backend.put(new WriteOp.Put("creds", key, new byte[] {7}, null, Condition.ifAbsent()))));
        assertTrue(await(backend.get("creds", key)).isPresent());
    }

    @Test
    @DisplayName("without profile or local credentials, the SDK's default chain is used")
    void defaultChain() {
        System.setProperty("aws.accessKeyId", "chainkey");
        System.setProperty("aws.secretAccessKey", "chainsecret");
        try (DynamoDbBackend backend = open(Map.of())) {
            roundTrip(backend);
        }
    }

    @Test
    @DisplayName("a named profile is read from the credentials file")
    void profile() throws IOException {
        Path credentials = Files.writeString(dir.resolve("credentials"),
                "[polytest]\naws_access_key_id = profilekey\naws_secret_access_key = profilesecret\n");
        Path config = Files.writeString(dir.resolve("config"), "");
        System.setProperty("aws.sharedCredentialsFile", credentials.toString());
        System.setProperty("aws.configFile", config.toString());
        try (DynamoDbBackend backend = open(Map.of("profile", "polytest"))) {
            roundTrip(backend);
        }
    }

    @Test
    @DisplayName("a profile that does not exist fails at open as a configuration error, without secrets")
    void missingProfile() throws IOException {
        Path credentials = Files.writeString(dir.resolve("credentials"),
                "[other]\naws_access_key_id = otherkey\naws_secret_access_key = othersecretvalue\n");
        System.setProperty("aws.sharedCredentialsFile", credentials.toString());
        System.setProperty("aws.configFile", Files.writeString(dir.resolve("config"), "").toString());
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> open(Map.of("profile", "nosuch")));
        assertTrue(e.getMessage().contains("credentials"), e.getMessage());
        assertFalse(e.getMessage().contains("othersecretvalue"), "never a secret in a message");
    }
}
