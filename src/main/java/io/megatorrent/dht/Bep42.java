package io.megatorrent.dht;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Random;
import java.util.zip.CRC32C;

/**
 * BEP 42 node-id restriction (IPv4): the first 21 bits of a node id must equal those of
 * CRC32C((ip & 0x030f3fff) | (r << 29)), where r is the low 3 bits of the id's last byte.
 * Loopback, private and link-local addresses are exempt (every test node is 127.0.0.1).
 */
public final class Bep42 {
    private static final int MASK = 0x030f3fff;

    private Bep42() {}

    /** True when the id is allowed for that address (always for exempt addresses and IPv6, which we do not check). */
    public static boolean valid(NodeId id, InetAddress ip) {
        if (exempt(ip)) return true;
        byte[] b = id.raw();
        int crc = crc(ip, b[NodeId.LENGTH - 1] & 7);
        return (b[0] & 0xff) == (crc >>> 24 & 0xff) && (b[1] & 0xff) == (crc >>> 16 & 0xff) && ((b[2] & 0xf8) == (crc >>> 8 & 0xf8));
    }

    /** A random id that is valid for ip. */
    public static NodeId idFor(InetAddress ip, Random random) {
        byte[] b = new byte[NodeId.LENGTH];
        random.nextBytes(b);
        int crc = crc(ip, b[NodeId.LENGTH - 1] & 7);
        b[0] = (byte) (crc >>> 24);
        b[1] = (byte) (crc >>> 16);
        b[2] = (byte) ((crc >>> 8 & 0xf8) | (b[2] & 7));
        return new NodeId(b);
    }

    static boolean exempt(InetAddress ip) {
        return !(ip instanceof Inet4Address) || ip.isLoopbackAddress() || ip.isSiteLocalAddress() || ip.isLinkLocalAddress() || ip.isAnyLocalAddress();
    }

    private static int crc(InetAddress ip, int r) {
        byte[] a = ip.getAddress();
        int v = ((a[0] & 0xff) << 24 | (a[1] & 0xff) << 16 | (a[2] & 0xff) << 8 | (a[3] & 0xff)) & MASK | (r << 29);
        CRC32C c = new CRC32C();
        c.update(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
        return (int) c.getValue();
    }
}
