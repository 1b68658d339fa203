package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Hex;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.crypto.Hashes;
import io.megatorrent.dht.Bep44;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PointerTest {
    private static final Ed25519.KeyPair KEY = ManifestFixtures.key(3);
    private static final byte[] K = ManifestFixtures.bytes(32, 0x11);

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    @Test
    void directLayoutIsByteExact() throws Exception {
        String id = "22".repeat(32);
        ManifestPointer p = new ManifestPointer(1500, K, new ManifestPointer.Direct(List.of(id)));
        byte[] expected = concat(ascii("d1:bl32:"), ManifestFixtures.bytes(32, 0x22), ascii("e1:k32:"), K, ascii("1:ni1500e1:vi1ee"));
        assertArrayEquals(expected, p.encode());
        ManifestPointer back = ManifestPointer.decode(expected);
        assertEquals(1500, back.size());
        assertArrayEquals(K, back.manifestKey());
        assertEquals(List.of(id), ((ManifestPointer.Direct) back.locator()).blobIds());
    }

    @Test
    void indexLayoutIsByteExact() throws Exception {
        String id = "33".repeat(32);
        byte[] x = ManifestFixtures.bytes(32, 0x44);
        ManifestPointer p = new ManifestPointer(20_000_000, K, new ManifestPointer.Index(id, x));
        byte[] expected = concat(ascii("d1:i32:"), ManifestFixtures.bytes(32, 0x33), ascii("1:k32:"), K,
                ascii("1:ni20000000e1:vi1e1:x32:"), x, ascii("e"));
        assertArrayEquals(expected, p.encode());
        ManifestPointer back = ManifestPointer.decode(expected);
        assertEquals(id, ((ManifestPointer.Index) back.locator()).blobId());
        assertArrayEquals(x, ((ManifestPointer.Index) back.locator()).key());
        // The index file the subscriber fetches: one blob, 32 bytes per manifest blob.
        assertEquals(FileEntry.chunkCount(20_000_000) * 32, back.indexFile().size());
        assertEquals(List.of(id), back.indexFile().blobIds());
    }

    @Test
    void indexBytesRoundTrip() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) ids.add(ManifestFixtures.blobId(i + 1));
        ManifestPointer p = new ManifestPointer(20L * FileEntry.CHUNK_SIZE, K, new ManifestPointer.Index(ids.get(0), K));
        assertEquals(ids, p.parseIndex(ManifestPointer.indexBytes(ids)));
        assertEquals("pointer.i", assertThrows(ManifestException.class, () -> p.parseIndex(new byte[31])).field());
    }

    /** The largest pointers a publisher makes still fit a BEP 44 value with room to spare. */
    @Test
    void worstCaseFitsInABep44Value() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < ManifestPointer.MAX_DIRECT_BLOBS; i++) ids.add(ManifestFixtures.blobId(i + 1));
        long size = (long) ManifestPointer.MAX_DIRECT_BLOBS * FileEntry.CHUNK_SIZE;
        byte[] direct = new ManifestPointer(size, K, new ManifestPointer.Direct(ids)).encode();
        byte[] index = new ManifestPointer(Manifest.MAX_MANIFEST_BYTES, K, new ManifestPointer.Index(ids.get(0), K)).encode();
        assertTrue(direct.length <= Bep44.MAX_VALUE_LENGTH, "direct pointer " + direct.length);
        assertTrue(index.length <= Bep44.MAX_VALUE_LENGTH, "index pointer " + index.length);
        assertEquals(343, direct.length);
        assertEquals(135, index.length);
        SignedPointer item = SignedPointer.sign(KEY, Long.MAX_VALUE, ManifestPointer.decode(direct));
        assertEquals(343, item.value().length);
    }

    private static String field(byte[] value) {
        return assertThrows(ManifestException.class, () -> ManifestPointer.decode(value)).field();
    }

    @Test
    void decodeIsStrictAndNamesTheKey() {
        byte[] id = ManifestFixtures.bytes(32, 0x22);
        assertEquals("pointer", field(ascii("d1:v")));
        assertEquals("pointer", field(ascii("li1ee")));
        assertEquals("pointer", field(new byte[Bep44.MAX_VALUE_LENGTH + 1]));
        assertEquals("pointer.v", field(concat(ascii("d1:bl32:"), id, ascii("e1:k32:"), K, ascii("1:ni1500e1:vi2ee"))));
        assertEquals("pointer.v", field(concat(ascii("d1:bl32:"), id, ascii("e1:k32:"), K, ascii("1:ni1500ee"))));
        assertEquals("pointer.z", field(concat(ascii("d1:bl32:"), id, ascii("e1:k32:"), K, ascii("1:ni1500e1:vi1e1:zi0ee"))));
        assertEquals("pointer.n", field(concat(ascii("d1:bl32:"), id, ascii("e1:k32:"), K, ascii("1:ni0e1:vi1ee"))));
        assertEquals("pointer.n", field(concat(ascii("d1:bl32:"), id, ascii("e1:k32:"), K, ascii("1:ni99999999999e1:vi1ee"))));
        assertEquals("pointer.b", field(concat(ascii("d1:bl32:"), id, ascii("e1:k32:"), K, ascii("1:ni1048577e1:vi1ee"))));
        assertEquals("pointer.b[0]", field(concat(ascii("d1:bl31:"), new byte[31], ascii("e1:k32:"), K, ascii("1:ni1500e1:vi1ee"))));
        assertEquals("pointer.k", field(concat(ascii("d1:bl32:"), id, ascii("e1:k31:"), new byte[31], ascii("1:ni1500e1:vi1ee"))));
        assertEquals("pointer.b", field(concat(ascii("d1:k32:"), K, ascii("1:ni1500e1:vi1ee"))));
        assertEquals("pointer.i", field(concat(ascii("d1:bl32:"), id, ascii("e1:i32:"), id, ascii("1:k32:"), K, ascii("1:ni1500e1:vi1ee"))));
        assertEquals("pointer.x", field(concat(ascii("d1:i32:"), id, ascii("1:k32:"), K, ascii("1:ni1500e1:vi1ee"))));
        // Not canonical: keys out of order.
        assertEquals("pointer", field(concat(ascii("d1:k32:"), K, ascii("1:bl32:"), id, ascii("e1:ni1500e1:vi1ee"))));
    }

    @Test
    void signedItemVerifiesAndTamperingIsCaught() throws Exception {
        ManifestPointer p = new ManifestPointer(1500, K, new ManifestPointer.Direct(List.of("22".repeat(32))));
        SignedPointer item = SignedPointer.sign(KEY, 7, p);
        assertArrayEquals(Hashes.sha1(KEY.publicKey(), ascii("megatorrent")), item.target());
        assertTrue(Ed25519.verify(KEY.publicKey(), Bep44.signedBuffer(ascii("megatorrent"), 7, p.encode()), item.signature()));
        assertEquals(1500, item.verify(KEY.publicKey()).size());
        assertEquals("publicKey", assertThrows(ManifestException.class, () -> item.verify(ManifestFixtures.key(4).publicKey())).field());
        SignedPointer otherSeq = new SignedPointer(item.publicKey(), 8, item.value(), item.signature());
        assertEquals("signature", assertThrows(ManifestException.class, () -> otherSeq.verify(KEY.publicKey())).field());
        byte[] v = item.value();
        v[v.length - 3] = '2';
        SignedPointer otherValue = new SignedPointer(item.publicKey(), 7, v, item.signature());
        assertEquals("signature", assertThrows(ManifestException.class, () -> otherValue.verify(KEY.publicKey())).field());
        assertEquals(Hex.encode(Bep44.mutableTarget(KEY.publicKey(), SignedPointer.SALT)), Hex.encode(item.target()));
    }
}
