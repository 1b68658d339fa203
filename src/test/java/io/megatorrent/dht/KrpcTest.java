package io.megatorrent.dht;

import static org.junit.jupiter.api.Assertions.*;

import io.megatorrent.codec.BValue.BBytes;
import io.megatorrent.codec.Hex;
import io.megatorrent.dht.KrpcMessage.*;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class KrpcTest {
    static final NodeId A = NodeId.ofHex("0000000000000000000000000000000000000001");
    static final NodeId B = NodeId.ofHex("abcdefabcdefabcdefabcdefabcdefabcdefabcd");
    static final byte[] T = {'a', 'a'};

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static Krpc.Packet roundTrip(Krpc.Packet p, Method m) throws KrpcException {
        byte[] wire = Krpc.encode(p);
        Krpc.Packet back = Krpc.decode(wire, t -> m);
        assertArrayEquals(wire, Krpc.encode(back), "re-encoding gives the same bytes");
        return back;
    }

    @Test
    void bep5PingExampleParses() throws KrpcException {
        byte[] wire = b("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
        Krpc.Packet p = Krpc.decode(wire, t -> null);
        Ping ping = assertInstanceOf(Ping.class, p.message());
        assertEquals("abcdefghij0123456789", new String(ping.id().bytes(), StandardCharsets.US_ASCII));
        assertArrayEquals(wire, Krpc.encode(p));
    }

    @Test
    void bep5ErrorExampleParses() throws KrpcException {
        Krpc.Packet p = Krpc.decode(b("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee"), t -> null);
        KrpcMessage.Error e = assertInstanceOf(KrpcMessage.Error.class, p.message());
        assertEquals(201, e.code());
        assertEquals("A Generic Error Ocurred", e.message());
    }

    @Test
    void everyQueryAndResponseRoundTrips() throws KrpcException {
        InetSocketAddress peer = new InetSocketAddress("127.0.0.1", 6881);
        NodeInfo n = new NodeInfo(B, new InetSocketAddress("10.0.0.1", 4000));
        byte[] k = new byte[32];
        byte[] sig = new byte[64];
        List<Krpc.Packet> packets = List.of(
                new Krpc.Packet(T, new Ping(A), DhtNode.VERSION, true, null),
                new Krpc.Packet(T, new FindNode(A, B)),
                new Krpc.Packet(T, new GetPeers(A, B)),
                new Krpc.Packet(T, new AnnouncePeer(A, B, 6881, true, new byte[] {1, 2, 3, 4})),
                new Krpc.Packet(T, new Get(A, B, 5L)),
                new Krpc.Packet(T, new Put(A, new byte[] {9}, BBytes.of("x"), k, b("salt"), 3, sig, 2L)),
                new Krpc.Packet(T, new Put(A, new byte[] {9}, BBytes.of("x"), null, null, 0, null, null)));
        for (Krpc.Packet p : packets) {
            Krpc.Packet back = roundTrip(p, null);
            assertEquals(((Query) p.message()).method(), ((Query) back.message()).method());
        }
        assertTrue(roundTrip(packets.get(0), null).readOnly());
        Krpc.Packet r = roundTrip(new Krpc.Packet(T, new GetPeersResponse(B, new byte[] {1}, List.of(peer), List.of(n)), null, false, peer), Method.GET_PEERS);
        GetPeersResponse g = (GetPeersResponse) r.message();
        assertEquals(List.of(peer), g.peers());
        assertEquals(List.of(n), g.nodes());
        assertEquals(peer, r.ip());
        GetResponse item = (GetResponse) roundTrip(new Krpc.Packet(T, new GetResponse(B, new byte[] {1}, List.of(), BBytes.of("v"), k, 7L, sig)), Method.GET).message();
        assertEquals(7L, item.seq());
        assertEquals(BBytes.of("v"), item.value());
        FindNodeResponse f = (FindNodeResponse) roundTrip(new Krpc.Packet(T, new FindNodeResponse(B, List.of(n, n))), Method.FIND_NODE).message();
        assertEquals(2, f.nodes().size());
    }

    @Test
    void strictParsingNamesTheField() {
        assertEquals("203 a.id has 3 bytes, expected 20",
                assertThrows(KrpcException.class, () -> Krpc.decode(b("d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe"), t -> null)).getMessage());
        assertEquals(204, assertThrows(KrpcException.class,
                () -> Krpc.decode(b("d1:ad2:id20:abcdefghij0123456789e1:q4:blah1:t2:aa1:y1:qe"), t -> null)).code());
        assertEquals(203, assertThrows(KrpcException.class, () -> Krpc.decode(b("d1:t2:aa1:y1:qe"), t -> null)).code());
        assertEquals(203, assertThrows(KrpcException.class, () -> Krpc.decode(b("i3e"), t -> null)).code());
        // a response to a transaction we never sent
        assertEquals(203, assertThrows(KrpcException.class,
                () -> Krpc.decode(b("d1:rd2:id20:abcdefghij0123456789e1:t2:aa1:y1:re"), t -> null)).code());
        // nodes not a multiple of 26
        assertThrows(KrpcException.class, () -> Krpc.decode(b("d1:rd2:id20:abcdefghij01234567895:nodes3:abce1:t2:aa1:y1:re"), t -> Method.FIND_NODE));
        // announce_peer without port nor implied_port
        assertThrows(KrpcException.class, () -> Krpc.decode(
                b("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234565:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe"), t -> null));
    }

    @Test
    void ipv6NodesAndPeersUseNodes6AndEighteenBytes() throws KrpcException {
        NodeInfo v4 = new NodeInfo(A, new InetSocketAddress("10.0.0.1", 1));
        NodeInfo v6 = new NodeInfo(B, new InetSocketAddress("2001:db8::1", 2));
        InetSocketAddress peer6 = new InetSocketAddress("2001:db8::2", 3);
        byte[] wire = Krpc.encode(new Krpc.Packet(T, new GetPeersResponse(A, new byte[] {1}, List.of(peer6), List.of(v4, v6)), null, false, peer6));
        String text = new String(wire, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("5:nodes26:") && text.contains("6:nodes638:") && text.contains("2:ip18:"), text);
        Krpc.Packet back = Krpc.decode(wire, t -> Method.GET_PEERS);
        GetPeersResponse g = (GetPeersResponse) back.message();
        assertEquals(List.of(v4, v6), g.nodes());
        assertEquals(List.of(peer6), g.peers());
        assertEquals(peer6, back.ip());
        assertArrayEquals(wire, Krpc.encode(back));
    }

    @Test
    void ipv6AddressesAreWrittenInRfc5952Form() throws Exception {
        assertEquals("[2001:db8::1]:80", NodeInfo.format(new InetSocketAddress("2001:db8:0:0:0:0:0:1", 80)));
        assertEquals("[::1]:1", NodeInfo.format(new InetSocketAddress("::1", 1)));
        assertEquals("[::]:1", NodeInfo.format(new InetSocketAddress("::", 1)));
        assertEquals("[2001:db8:0:1:1:1:1:1]:2", NodeInfo.format(new InetSocketAddress("2001:db8:0:1:1:1:1:1", 2)));
        assertEquals("[2001:0:0:1::1]:3", NodeInfo.format(new InetSocketAddress("2001:0:0:1:0:0:0:1", 3)));
        assertEquals("10.0.0.1:4", NodeInfo.format(new InetSocketAddress("10.0.0.1", 4)));
    }

    @Test
    void compactNodeInfoIsTwentySixBytes() throws Exception {
        byte[] c = NodeInfo.compactNodes(List.of(new NodeInfo(A, new InetSocketAddress("1.2.3.4", 0x1234))));
        assertEquals("0000000000000000000000000000000000000001" + "01020304" + "1234", Hex.encode(c));
    }

    @Test
    void distanceAndPrefix() {
        assertEquals(159, A.commonPrefixLength(NodeId.ofHex("0000000000000000000000000000000000000000")));
        assertEquals(0, A.commonPrefixLength(B));
        assertTrue(A.compareDistance(NodeId.ofHex("0000000000000000000000000000000000000003"), B) < 0);
        NodeId r = A.randomWithPrefix(10, new java.util.Random(1));
        assertEquals(10, A.commonPrefixLength(r));
    }
}
