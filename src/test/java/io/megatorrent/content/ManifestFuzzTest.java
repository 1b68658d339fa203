package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Mangled manifests, pointers and URIs get the checked error of their format, never anything else. */
class ManifestFuzzTest {
    private static final Random RANDOM = new Random(11);

    private static byte[] mutate(byte[] in) {
        byte[] b = in.clone();
        int edits = 1 + RANDOM.nextInt(4);
        for (int e = 0; e < edits; e++) {
            int at = RANDOM.nextInt(b.length);
            switch (RANDOM.nextInt(3)) {
                case 0 -> b[at] = (byte) RANDOM.nextInt(256);
                case 1 -> b[at] = (byte) "{}[]\":,0123456789-.e\\/ ".charAt(RANDOM.nextInt(23));
                default -> b = java.util.Arrays.copyOf(b, at);
            }
            if (b.length == 0) return b;
        }
        return b;
    }

    @Test
    void mangledManifestsAreRejectedCleanly() throws Exception {
        Manifest pub = Manifest.signPublic(ManifestFixtures.key(1), 3, 3, ManifestFixtures.small());
        byte[] readKey = ManifestFixtures.bytes(32, 7);
        Manifest priv = Manifest.signPrivate(ManifestFixtures.key(1), readKey, 3, 3, ManifestFixtures.small(), new SecureRandom());
        int rejected = 0;
        for (byte[] original : List.of(pub.toBytes(), priv.toBytes())) {
            for (int i = 0; i < 3000; i++) {
                byte[] input = mutate(original);
                try {
                    Manifest m = Manifest.parse(input);
                    m.collections(readKey);
                } catch (ManifestException expected) {
                    rejected++;
                }
            }
        }
        assertTrue(rejected > 5000, "most mutations must be caught, got " + rejected);
    }

    @Test
    void mangledPointersAreRejectedCleanly() throws Exception {
        ManifestPointer p = new ManifestPointer(3_000_000, ManifestFixtures.bytes(32, 1),
                new ManifestPointer.Direct(List.of(ManifestFixtures.blobId(1), ManifestFixtures.blobId(2), ManifestFixtures.blobId(3))));
        ManifestPointer x = new ManifestPointer(30_000_000, ManifestFixtures.bytes(32, 1), new ManifestPointer.Index(ManifestFixtures.blobId(9), ManifestFixtures.bytes(32, 2)));
        for (byte[] original : List.of(p.encode(), x.encode())) {
            for (int i = 0; i < 5000; i++) {
                try {
                    ManifestPointer.decode(mutate(original));
                } catch (ManifestException expected) {
                    // rejected
                }
            }
        }
    }

    @Test
    void mangledUrisAreRejectedCleanly() throws Exception {
        String uri = "megatorrent://" + "ab".repeat(32) + ":" + "cd".repeat(32) + "?bootstrap=[::1]:6881&bootstrap=host.example:1";
        for (int i = 0; i < 5000; i++) {
            String s = new String(mutate(uri.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
            try {
                ChannelUri u = ChannelUri.parse(s);
                assertTrue(ChannelUri.parse(u.format()).equals(u), s);
            } catch (ChannelUriException expected) {
                // rejected
            }
        }
    }
}
