package io.megatorrent.dht;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/** A contact: a node id and the UDP address it answers on. Compact forms are BEP 5's and BEP 32's. */
public record NodeInfo(NodeId id, InetSocketAddress address) {
    /** Compact node info: 20-byte id, 4-byte IPv4, 2-byte port (BEP 5). */
    public static final int COMPACT_V4_LENGTH = 26;
    /** Compact IPv6 node info: 20-byte id, 16-byte IPv6, 2-byte port (BEP 32). */
    public static final int COMPACT_V6_LENGTH = 38;
    /** Compact peer info: 4-byte IPv4, 2-byte port. */
    public static final int COMPACT_PEER_V4_LENGTH = 6;
    /** Compact IPv6 peer info: 16-byte IPv6, 2-byte port. */
    public static final int COMPACT_PEER_V6_LENGTH = 18;

    boolean ipv6() {
        return address.getAddress() instanceof Inet6Address;
    }

    /** Concatenated compact node infos of the IPv4 contacts (the `nodes` field). */
    public static byte[] compactNodes(List<NodeInfo> nodes) {
        return compact(nodes, false);
    }

    /** Concatenated compact node infos of the IPv6 contacts (the `nodes6` field). */
    public static byte[] compactNodes6(List<NodeInfo> nodes) {
        return compact(nodes, true);
    }

    private static byte[] compact(List<NodeInfo> nodes, boolean v6) {
        int count = 0;
        for (NodeInfo n : nodes) if (n.ipv6() == v6) count++;
        byte[] out = new byte[count * (v6 ? COMPACT_V6_LENGTH : COMPACT_V4_LENGTH)];
        int at = 0;
        for (NodeInfo n : nodes) if (n.ipv6() == v6) at = n.writeCompact(out, at);
        return out;
    }

    /**
     * Writes this contact's compact node info (26 bytes, or 38 for IPv6) into out at {@code at}
     * and returns where it ends: the one encoder of the form, for these arrays and for answers
     * written in place.
     */
    int writeCompact(byte[] out, int at) {
        System.arraycopy(id.raw(), 0, out, at, NodeId.LENGTH);
        return writeCompactPeer(address, out, at + NodeId.LENGTH);
    }

    /** Writes a compact peer (the address's 4 or 16 bytes, the port's 2, big-endian) into out at {@code at}; returns where it ends. */
    static int writeCompactPeer(InetSocketAddress address, byte[] out, int at) {
        byte[] ip = address.getAddress().getAddress();
        System.arraycopy(ip, 0, out, at, ip.length);
        out[at + ip.length] = (byte) (address.getPort() >> 8);
        out[at + ip.length + 1] = (byte) address.getPort();
        return at + ip.length + 2;
    }

    public static List<NodeInfo> parseCompactNodes(byte[] data, String field) throws KrpcException {
        return parse(data, field, COMPACT_V4_LENGTH);
    }

    public static List<NodeInfo> parseCompactNodes6(byte[] data, String field) throws KrpcException {
        return parse(data, field, COMPACT_V6_LENGTH);
    }

    private static List<NodeInfo> parse(byte[] data, String field, int unit) throws KrpcException {
        if (data.length % unit != 0)
            throw KrpcException.protocol("'" + field + "' length " + data.length + " is not a multiple of " + unit);
        List<NodeInfo> out = new ArrayList<>(data.length / unit);
        for (int off = 0; off < data.length; off += unit) {
            byte[] id = java.util.Arrays.copyOfRange(data, off, off + 20);
            InetSocketAddress addr = parseCompactPeer(data, off + 20, unit - 20);
            if (addr.getPort() == 0) continue; // unusable contact
            out.add(new NodeInfo(new NodeId(id), addr));
        }
        return out;
    }

    /** 6 bytes for an IPv4 address, 18 for IPv6. */
    public static byte[] compactPeer(InetSocketAddress address) {
        byte[] out = new byte[address.getAddress() instanceof Inet6Address ? COMPACT_PEER_V6_LENGTH : COMPACT_PEER_V4_LENGTH];
        writeCompactPeer(address, out, 0);
        return out;
    }

    public static InetSocketAddress parseCompactPeer(byte[] data, int off) {
        return parseCompactPeer(data, off, COMPACT_PEER_V4_LENGTH);
    }

    /** A compact peer of 6 (IPv4) or 18 (IPv6) bytes at off. */
    public static InetSocketAddress parseCompactPeer(byte[] data, int off, int length) {
        try {
            InetAddress ip = InetAddress.getByAddress(java.util.Arrays.copyOfRange(data, off, off + length - 2));
            int port = ((data[off + length - 2] & 0xff) << 8) | (data[off + length - 1] & 0xff);
            return new InetSocketAddress(ip, port);
        } catch (UnknownHostException e) {
            throw new AssertionError(e); // 4 or 16 bytes are always an address
        }
    }

    /** "ip:port"; an IPv6 address in brackets, in RFC 5952 form ("[2001:db8::1]:6881"). */
    public static String format(InetSocketAddress a) {
        if (!(a.getAddress() instanceof Inet6Address)) return a.getAddress().getHostAddress() + ":" + a.getPort();
        byte[] b = a.getAddress().getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        int bestStart = -1, bestLen = 1; // RFC 5952: only a run of two or more zero groups is shortened
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) j++;
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 1 && sb.charAt(sb.length() - 1) != ':') sb.append(':');
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.append("]:").append(a.getPort()).toString();
    }
}
