package io.megatorrent.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Encoder-side bounds and decoded values; byte layouts are pinned by test-vectors/framing.json. */
class MessageTest {
    @Test
    void senderCannotBuildOutOfBoundsMessages() {
        assertThrows(IllegalArgumentException.class, () -> new Message.Request(0, new byte[20]));
        assertThrows(IllegalArgumentException.class, () -> new Message.Request(1, new byte[21]));
        assertThrows(IllegalArgumentException.class, () -> new Message.Data(1, new byte[Message.MAX_BLOB_LENGTH + 1]));
        assertThrows(IllegalArgumentException.class, () -> new Message.Data(1, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new Message.Announce(List.of()));
        assertThrows(IllegalArgumentException.class, () -> new Message.Error(0, 1, "x".repeat(513)));
        assertThrows(IllegalArgumentException.class, () -> new Message.Publish(1, new byte[32], -1, new byte[0], new byte[64], "i1e".getBytes()));
        assertThrows(IllegalArgumentException.class, () -> new Message.PeerEntry(new PeerAddress("has space", 1), null));
        byte[] k = new byte[32];
        assertThrows(IllegalArgumentException.class, () -> new Message.Hello(6, 0, List.of(new Message.ChannelSeq(k, 1), new Message.ChannelSeq(k, 2))));
    }

    @Test
    void helloSortsChannelsAndDecodesBack() throws Exception {
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        b[0] = (byte) 0xF0; // above 0x00 when compared unsigned
        var hello = new Message.Hello(6, 6881, List.of(new Message.ChannelSeq(b, 2), new Message.ChannelSeq(a, 1)));
        var back = assertInstanceOf(Message.Hello.class, Message.decode(Message.encode(hello)));
        assertArrayEquals(a, back.channels().get(0).publicKey());
        assertEquals(2, back.channels().get(1).seq());
    }

    @Test
    void peersKeepAddressesAndKeys() throws Exception {
        byte[] key = new byte[32];
        key[5] = 9;
        var peers = new Message.Peers(3, List.of(
                new Message.PeerEntry(new PeerAddress("10.0.0.1", 1), key),
                new Message.PeerEntry(new PeerAddress("::1", 2), null),
                new Message.PeerEntry(new PeerAddress("peer.example.org", 3), null)));
        var back = assertInstanceOf(Message.Peers.class, Message.decode(Message.encode(peers)));
        assertEquals(new PeerAddress("10.0.0.1", 1), back.peers().get(0).address());
        assertArrayEquals(key, back.peers().get(0).staticKey());
        assertEquals(new PeerAddress("0:0:0:0:0:0:0:1", 2), back.peers().get(1).address());
        assertNull(back.peers().get(1).staticKey());
        assertEquals("peer.example.org", back.peers().get(2).address().host());
    }

    @Test
    void peerNamesFollowTheGrammarAndPortsTheirKind() {
        // Nothing a resolver could read as an IP address passes as a name (4.5, kind 3).
        for (String ip : new String[] {"999.1.1.1", "127.1", "2130706433", "0x7f000001", "0X7F.1", "1.2.3.256", "[::1]", "fe80::1%eth0", "example.org."}) {
            assertThrows(IllegalArgumentException.class, () -> new Message.PeerEntry(new PeerAddress(ip, 1), null), ip);
        }
        assertEquals(PeerName.Kind.DNS, PeerName.kind("a-1.b2.example"));
        assertEquals(PeerName.Kind.DNS, PeerName.kind("0x7g"), "not a hex number: a name");
        assertEquals(PeerName.Kind.I2P_NAME, PeerName.kind("tracker.i2p"));
        assertEquals(PeerName.Kind.I2P_B32, PeerName.kind("ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p"));
        assertEquals(PeerName.Kind.I2P_DESTINATION, PeerName.kind(TransportVectors.destination()));
        // A real v3 address (the Tor Project's): the checksum and version check out.
        assertEquals(PeerName.Kind.ONION, PeerName.kind("2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"));
        assertEquals("2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion",
                PeerName.onionOf(java.util.Arrays.copyOf(decodeOnionKey("2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid"), 32)));
        // Ports: 0 only for I2P, and always 0 there (4.5, 5.1).
        assertThrows(IllegalArgumentException.class, () -> new Message.PeerEntry(new PeerAddress("10.0.0.1", 0), null));
        assertThrows(IllegalArgumentException.class, () -> new Message.PeerEntry(new PeerAddress("peer.example.org", 0), null));
        assertThrows(IllegalArgumentException.class, () -> new Message.PeerEntry(new PeerAddress("tracker.i2p", 1), null));
        // A MSG_PUBLISH value is one bencoded value (BEP 44 'v').
        assertThrows(IllegalArgumentException.class, () -> new Message.Publish(1, new byte[32], 1, new byte[0], new byte[64], "3:ab".getBytes()));
    }

    private static byte[] decodeOnionKey(String base32) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int buffer = 0;
        int bits = 0;
        for (char c : base32.toCharArray()) {
            buffer = (buffer << 5) | "abcdefghijklmnopqrstuvwxyz234567".indexOf(c);
            bits += 5;
            if (bits >= 8) {
                out.write(buffer >> (bits - 8));
                bits -= 8;
            }
        }
        return out.toByteArray();
    }

    @Test
    void peersRefuseIpv4MappedIpv6() throws Exception {
        byte[] wire = Message.encode(new Message.Peers(3, List.of(new Message.PeerEntry(new PeerAddress("::1", 2), null))));
        int ipAt = Message.HEADER_LENGTH + 2 + 1; // header, peer count, peer_kind
        assertEquals(Message.PEER_IPV6, wire[ipAt - 1]);
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, 1, 2, 3, 4};
        System.arraycopy(mapped, 0, wire, ipAt, 16);
        ProtocolException e = assertThrows(ProtocolException.class, () -> Message.decode(wire), "spec 4.5: ::ffff:a.b.c.d must be sent as IPv4");
        assertEquals("peer_ip", e.field());
        assertEquals(ipAt, e.offset());
    }

    @Test
    void errorsNameFieldAndOffset() {
        byte[] bad = {0x02, 0, 0, 0, 1, 1, 2};
        ProtocolException e = assertThrows(ProtocolException.class, () -> Message.decode(bad));
        assertEquals("blob_id", e.field());
        assertEquals(5, e.offset());
    }
}
