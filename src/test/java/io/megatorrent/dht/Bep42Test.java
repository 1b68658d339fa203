package io.megatorrent.dht;

import static org.junit.jupiter.api.Assertions.*;

import java.net.InetAddress;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Bep42Test {
    /** BEP 42's example table: IP, rand (last byte), first 3 bytes of the id (the third masked to 0xf8). */
    @Test
    void bep42Examples() throws Exception {
        String[][] examples = {
            {"124.31.75.21", "01", "5fbfbf"}, {"21.75.31.124", "56", "5a3ce9"}, {"65.23.51.170", "16", "a5d432"},
            {"84.124.73.14", "41", "1b0321"}, {"43.213.53.83", "5a", "e56f6c"}};
        for (String[] e : examples) {
            byte[] id = new byte[20];
            id[0] = (byte) Integer.parseInt(e[2].substring(0, 2), 16);
            id[1] = (byte) Integer.parseInt(e[2].substring(2, 4), 16);
            id[2] = (byte) Integer.parseInt(e[2].substring(4, 6), 16);
            id[19] = (byte) Integer.parseInt(e[1], 16);
            InetAddress ip = InetAddress.getByName(e[0]);
            assertTrue(Bep42.valid(new NodeId(id), ip), e[0]);
            id[0] ^= 1;
            assertFalse(Bep42.valid(new NodeId(id), ip), e[0] + " tampered");
            assertTrue(Bep42.valid(Bep42.idFor(ip, new Random(1)), ip));
        }
        assertTrue(Bep42.valid(NodeId.random(), InetAddress.getLoopbackAddress()), "loopback is exempt");
        assertTrue(Bep42.valid(NodeId.random(), InetAddress.getByName("192.168.1.5")), "private addresses are exempt");
    }

    @Test
    void tableKeepsOutForbiddenIdsFromPublicAddresses() throws Exception {
        RoutingTable table = new RoutingTable(NodeId.random(new Random(2)), 0, true);
        InetAddress ip = InetAddress.getByName("124.31.75.21");
        NodeId bad = NodeId.ofHex("0000000000000000000000000000000000000001");
        assertFalse(table.heardFrom(new NodeInfo(bad, new java.net.InetSocketAddress(ip, 6881)), true, 1));
        assertTrue(table.heardFrom(new NodeInfo(Bep42.idFor(ip, new Random(3)), new java.net.InetSocketAddress(ip, 6881)), true, 1));
        assertTrue(table.heardFrom(new NodeInfo(bad, new java.net.InetSocketAddress("127.0.0.1", 6881)), true, 1));
    }
}
