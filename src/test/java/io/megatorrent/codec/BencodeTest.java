package io.megatorrent.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.megatorrent.codec.BValue.BBytes;
import io.megatorrent.codec.BValue.BDict;
import io.megatorrent.codec.BValue.BInt;
import io.megatorrent.codec.BValue.BList;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BencodeTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void decodesEveryTypeAndReencodesCanonically() throws CodecException {
        byte[] in = b("d4:listli1ei-2e0:e3:numi42e3:str4:spame");
        BDict d = Bencode.decodeDict(in);
        assertEquals(42L, d.integer("num").orElseThrow());
        assertEquals("spam", new String(d.requireBytes("str"), StandardCharsets.UTF_8));
        BList list = d.list("list").orElseThrow();
        assertEquals(new BInt(-2), list.items().get(1));
        assertEquals(new BBytes(new byte[0]), list.items().get(2));
        assertArrayEquals(in, Bencode.encode(d));
    }

    @Test
    void builderSortsKeysAsUnsignedBytes() {
        BDict d = BDict.builder().put("z", 1).put("a", 2).put("\u0080", 3).build();
        byte[] enc = Bencode.encode(d);
        // 'a' < 'z' < 0xC2 0x80 (UTF-8 of U+0080): unsigned order puts the high byte last
        assertEquals("d1:ai2e1:zi1e2:", new String(enc, 0, 15, StandardCharsets.ISO_8859_1));
    }

    @Test
    void errorsNameTheOffset() {
        CodecException e = assertThrows(CodecException.class, () -> Bencode.decode(b("d3:fooi03ee")));
        assertEquals(7, e.offset());
        e = assertThrows(CodecException.class, () -> Bencode.decode(b("d3:foo1:a3:bar1:be")));
        assertEquals(9, e.offset());
        e = assertThrows(CodecException.class, () -> Bencode.decode(b("4:spamx")));
        assertEquals(6, e.offset());
    }

    @Test
    void hugeDeclaredLengthDoesNotAllocate() {
        CodecException e = assertThrows(CodecException.class, () -> Bencode.decode(b("2147483647:x")));
        assertEquals(0, e.offset());
        assertThrows(CodecException.class, () -> Bencode.decode(b("99999999999999999999999999:x")));
    }

    @Test
    void depthIsBounded() throws CodecException {
        String ok = "l".repeat(Bencode.MAX_DEPTH) + "e".repeat(Bencode.MAX_DEPTH);
        Bencode.decode(b(ok));
        String deep = "l".repeat(100_000) + "e".repeat(100_000);
        CodecException e = assertThrows(CodecException.class, () -> Bencode.decode(b(deep)));
        assertEquals(Bencode.MAX_DEPTH, e.offset());
    }

    @Test
    void int64Bounds() throws CodecException {
        assertEquals(new BInt(Long.MIN_VALUE), Bencode.decode(b("i-9223372036854775808e")));
        assertEquals(new BInt(Long.MAX_VALUE), Bencode.decode(b("i9223372036854775807e")));
        assertThrows(CodecException.class, () -> Bencode.decode(b("i9223372036854775808e")));
        assertThrows(CodecException.class, () -> Bencode.decode(b("i-9223372036854775809e")));
    }
}
