package io.megatorrent.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Hex;
import io.megatorrent.crypto.X25519;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AddressAndKeyTest {
    @Test
    void peerTargets() {
        String key = "ab".repeat(32);
        PeerTarget t = PeerTarget.parse(key + "@gateway.example:6881");
        assertArrayEquals(Hex.encode(t.staticKey()).getBytes(), key.getBytes());
        assertEquals(new PeerAddress("gateway.example", 6881), t.address());
        assertEquals(key + "@gateway.example:6881", t.toString());
        PeerTarget v6 = PeerTarget.parse("[::1]:7000");
        assertNull(v6.staticKey());
        assertEquals(new PeerAddress("::1", 7000), v6.address());
        assertEquals(0, PeerTarget.parse("ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p").address().port());
        assertThrows(IllegalArgumentException.class, () -> PeerTarget.parse("abc@host:1"));
        assertThrows(IllegalArgumentException.class, () -> PeerTarget.parse("host"));
        assertThrows(IllegalArgumentException.class, () -> PeerTarget.parse("::1:80"));
        assertThrows(IllegalArgumentException.class, () -> PeerTarget.parse("host:99999"));
        assertThrows(IllegalArgumentException.class, () -> PeerTarget.parse("host:-1"));
        // The grammar of 5.1 / 4.5: no other spelling of an address, no port 0 except for I2P, none on I2P.
        for (String bad : new String[] {"127.1:80", "2130706433:80", "0x7f000001:80", "example.org.:80", "host:0", "192.0.2.1:0",
                "[::1]:0", "[192.0.2.1]:80", "[host]:80", "tracker.i2p:1", "short.onion:80", "a_b.example:80"}) {
            assertThrows(IllegalArgumentException.class, () -> PeerTarget.parse(bad), bad);
        }
        assertEquals(new PeerAddress("tracker.i2p", 0), PeerTarget.parse("tracker.i2p").address());
        assertEquals(new PeerAddress("2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion", 80),
                PeerTarget.parse("2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion:80").address());
    }

    @Test
    void tcpDialerRefusesAnonymousAddresses() {
        IOException e = assertThrows(IOException.class, () -> new TcpDialer().connect(new PeerAddress("abc.onion", 80), java.time.Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("SOCKS5"), e.getMessage());
    }

    @Test
    void nodeKeyIsCreatedOncePrivatelyAndAtomically(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        X25519.KeyPair a = NodeKey.loadOrCreate(data);
        X25519.KeyPair b = NodeKey.loadOrCreate(data);
        assertArrayEquals(a.privateKey(), b.privateKey());
        Path file = data.resolve(NodeKey.FILE_NAME);
        assertEquals(32, Files.size(file));
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE), Files.getPosixFilePermissions(file));
        try (Stream<Path> files = Files.list(data)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void damagedKeyFileIsNeverReplaced(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(NodeKey.FILE_NAME);
        Files.write(file, new byte[31]);
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        IOException e = assertThrows(IOException.class, () -> NodeKey.loadOrCreate(dir));
        assertTrue(e.getMessage().contains("refusing to replace"), e.getMessage());
        assertEquals(31, Files.size(file));
    }

    @Test
    void keyFileReadableByOthersIsRefused(@TempDir Path dir) throws Exception {
        NodeKey.loadOrCreate(dir);
        Path file = dir.resolve(NodeKey.FILE_NAME);
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        IOException e = assertThrows(IOException.class, () -> NodeKey.loadOrCreate(dir));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }
}
