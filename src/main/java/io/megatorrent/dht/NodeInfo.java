package io.megatorrent.dht;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** A contact: a node id and the UDP address it answers on. Compact forms are BEP 5's. */
public record NodeInfo(NodeId id, InetSocketAddress address) {
    /** Compact node info: 20-byte id, 4-byte IPv4, 2-byte port. */
    public static final int COMPACT_V4_LENGTH = 26;
    /** Compact peer info: 4-byte IPv4, 2-byte port. */
    public static final int COMPACT_PEER_V4_LENGTH = 6;

    /** Concatenated compact node infos of the IPv4 contacts (others are skipped). */
    public static byte[] compactNodes(List<NodeInfo> nodes) {
        ByteBuffer out = ByteBuffer.allocate(nodes.size() * COMPACT_V4_LENGTH);
        for (NodeInfo n : nodes) {
            if (!(n.address.getAddress() instanceof Inet4Address)) continue;
            out.put(n.id.raw());
            out.put(n.address.getAddress().getAddress());
            out.putShort((short) n.address.getPort());
        }
        byte[] b = new byte[out.position()];
        out.flip().get(b);
        return b;
    }

    public static List<NodeInfo> parseCompactNodes(byte[] data, String field) throws KrpcException {
        if (data.length % COMPACT_V4_LENGTH != 0)
            throw KrpcException.protocol("'" + field + "' length " + data.length + " is not a multiple of 26");
        List<NodeInfo> out = new ArrayList<>(data.length / COMPACT_V4_LENGTH);
        for (int off = 0; off < data.length; off += COMPACT_V4_LENGTH) {
            byte[] id = java.util.Arrays.copyOfRange(data, off, off + 20);
            InetSocketAddress addr = parseCompactPeer(data, off + 20);
            if (addr.getPort() == 0) continue; // unusable contact
            out.add(new NodeInfo(new NodeId(id), addr));
        }
        return out;
    }

    public static byte[] compactPeer(InetSocketAddress address) {
        ByteBuffer out = ByteBuffer.allocate(COMPACT_PEER_V4_LENGTH);
        out.put(address.getAddress().getAddress());
        out.putShort((short) address.getPort());
        return out.array();
    }

    public static InetSocketAddress parseCompactPeer(byte[] data, int off) {
        try {
            InetAddress ip = InetAddress.getByAddress(java.util.Arrays.copyOfRange(data, off, off + 4));
            int port = ((data[off + 4] & 0xff) << 8) | (data[off + 5] & 0xff);
            return new InetSocketAddress(ip, port);
        } catch (UnknownHostException e) {
            throw new AssertionError(e); // four bytes are always an IPv4 address
        }
    }

    byte[] rawId() {
        return id.raw();
    }
}
