package io.megatorrent.dht;

import static org.junit.jupiter.api.Assertions.*;

import io.megatorrent.dht.KrpcMessage.*;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The receive path's shortcut for ping, find_node and get_peers accepts only what the full
 * decoder accepts, with the same result, and leaves everything else to it.
 */
class KrpcCommonQueryTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static final List<String> QUERIES = List.of(
            "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe",
            "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe",
            "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe",
            "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:wantl2:n42:n6ee1:q9:get_peers1:t4:abcd1:v4:LT\u0001\u00001:y1:qe",
            "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234566:noseedi1ee1:q9:get_peers2:roi1e1:t1:x1:y1:qe",
            "d1:ad2:id20:abcdefghij0123456789e1:q4:ping2:roi0e1:t2:aa1:v0:1:y1:qe");

    private static void assertSame(Krpc.Packet fast, Krpc.Packet full) {
        assertArrayEquals(full.transactionId(), fast.transactionId());
        assertArrayEquals(full.version(), fast.version());
        assertEquals(full.readOnly(), fast.readOnly());
        assertEquals(full.message(), fast.message());
        assertNull(fast.ip());
    }

    @Test
    void commonQueriesDecodeAsTheFullDecoderDoes() throws KrpcException {
        for (String q : QUERIES) {
            byte[] wire = b(q);
            Krpc.Packet fast = Krpc.decodeCommonQuery(wire, wire.length);
            assertNotNull(fast, q);
            assertSame(fast, Krpc.decode(wire, t -> null));
            // the receive buffer is longer than the datagram: only [0, len) counts
            byte[] padded = Arrays.copyOf(wire, wire.length + 7);
            assertSame(Krpc.decodeCommonQuery(padded, wire.length), fast);
        }
    }

    /** The receive thread scans every datagram with one scanner: nothing of one scan may leak into the next. */
    @Test
    void oneScannerReusedDecodesAsFreshOnes() {
        List<String> sequence = new ArrayList<>(QUERIES);
        // a field the previous query had and this one lacks: ro, target, info_hash, v
        sequence.add("d1:ad2:id20:abcdefghij0123456789e1:q9:find_node1:t2:aa1:y1:qe");
        sequence.add("d1:ad2:id20:abcdefghij0123456789e1:q9:get_peers1:t2:aa1:y1:qe");
        sequence.add("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:re");
        sequence.add("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
        List<String> backwards = new ArrayList<>(sequence);
        java.util.Collections.reverse(backwards);
        sequence.addAll(backwards);
        Krpc.QueryScanner scanner = new Krpc.QueryScanner();
        for (String q : sequence) {
            byte[] wire = b(q);
            Krpc.Packet fresh = Krpc.decodeCommonQuery(wire, wire.length);
            Krpc.Packet reused = scanner.scan(wire, wire.length);
            if (fresh == null) assertNull(reused, q);
            else assertSame(reused, fresh);
        }
    }

    @Test
    void anythingElseIsLeftToTheFullDecoder() {
        for (String q : List.of(
                "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t0:1:y1:qe",                 // empty tid: an error to answer
                "d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe",                // short id
                "d1:q4:ping1:ad2:id20:abcdefghij0123456789e1:t2:aa1:y1:qe",               // keys out of order
                "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qee",              // trailing byte
                "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:re",               // not a query
                "d1:ad2:id20:abcdefghij0123456789e1:q13:announce_peer1:t2:aa1:y1:qe",     // not a common method
                "d1:ad2:id20:abcdefghij0123456789e1:q9:find_node1:t2:aa1:y1:qe",          // target missing
                "d1:ad2:id20:abcdefghij0123456789e1:q4:ping2:ro1:11:t2:aa1:y1:qe",        // ro not an integer
                "d1:ad2:id20:abcdefghij0123456789e1:q4:ping2:roi01e1:t2:aa1:y1:qe",       // leading zero
                "d1:ad2:id020:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe",              // length with a leading zero
                "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:v17:aaaaaaaaaaaaaaaaa1:y1:qe")) { // long version
            byte[] wire = b(q);
            assertNull(Krpc.decodeCommonQuery(wire, wire.length), q);
        }
    }

    @Test
    void mutatedQueriesAreNeverAcceptedDifferently() {
        Random random = new Random(14);
        int accepted = 0;
        for (int i = 0; i < 200_000; i++) {
            byte[] wire = b(QUERIES.get(random.nextInt(QUERIES.size())));
            int edits = 1 + random.nextInt(3);
            for (int e = 0; e < edits; e++) {
                int at = random.nextInt(wire.length);
                switch (random.nextInt(3)) {
                    case 0 -> wire[at] = (byte) random.nextInt(256);
                    case 1 -> wire[at] = (byte) "0123456789:deil".charAt(random.nextInt(15));
                    default -> {
                        List<Byte> l = new ArrayList<>();
                        for (byte x : wire) l.add(x);
                        if (random.nextBoolean() && l.size() > 1) l.remove(at);
                        else l.add(at, (byte) "0123456789:deil".charAt(random.nextInt(15)));
                        wire = new byte[l.size()];
                        for (int k = 0; k < wire.length; k++) wire[k] = l.get(k);
                    }
                }
            }
            Krpc.Packet fast = Krpc.decodeCommonQuery(wire, wire.length);
            if (fast == null) continue;
            accepted++;
            Krpc.Packet full;
            try {
                full = Krpc.decode(wire, t -> null);
            } catch (KrpcException e) {
                fail("the shortcut accepted what the full decoder refuses (" + e.getMessage() + "): " + new String(wire, StandardCharsets.ISO_8859_1));
                return;
            }
            assertSame(fast, full);
        }
        assertTrue(accepted > 1000, "mutations the shortcut accepted: " + accepted);
    }
}
