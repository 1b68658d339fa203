package io.megatorrent.dht;

import io.megatorrent.codec.Hex;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Random;

/** A 160-bit DHT key (BEP 5): node ids, infohashes and BEP 44 targets share this space. */
public record NodeId(byte[] bytes) implements Comparable<NodeId> {
    public static final int LENGTH = 20;
    public static final int BITS = LENGTH * 8;
    private static final SecureRandom RANDOM = new SecureRandom();

    public NodeId {
        if (bytes.length != LENGTH) throw new IllegalArgumentException("a node id has 20 bytes, got " + bytes.length);
        bytes = bytes.clone();
    }

    public static NodeId random() {
        return random(RANDOM);
    }

    public static NodeId random(Random random) {
        byte[] b = new byte[LENGTH];
        random.nextBytes(b);
        return new NodeId(b);
    }

    public static NodeId ofHex(String hex) {
        try {
            return new NodeId(Hex.decode(hex, LENGTH, "id"));
        } catch (io.megatorrent.codec.CodecException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The bytes without a copy, for encoders in this package. */
    byte[] raw() {
        return bytes;
    }

    /** Number of leading bits this id shares with {@code other} (160 when equal). */
    public int commonPrefixLength(NodeId other) {
        for (int i = 0; i < LENGTH; i++) {
            int x = (bytes[i] ^ other.bytes[i]) & 0xff;
            if (x != 0) return i * 8 + Integer.numberOfLeadingZeros(x) - 24;
        }
        return BITS;
    }

    /** Compares the XOR distances of a and b to this id: negative when a is closer. */
    public int compareDistance(NodeId a, NodeId b) {
        for (int i = 0; i < LENGTH; i++) {
            int da = (a.bytes[i] ^ bytes[i]) & 0xff;
            int db = (b.bytes[i] ^ bytes[i]) & 0xff;
            if (da != db) return da < db ? -1 : 1;
        }
        return 0;
    }

    /** A random id sharing exactly {@code prefix} leading bits with this one (bit prefix flipped), or this id's bucket range when prefix = 160. */
    public NodeId randomWithPrefix(int prefix, Random random) {
        byte[] b = new byte[LENGTH];
        random.nextBytes(b);
        for (int bit = 0; bit < Math.min(prefix, BITS); bit++) setBit(b, bit, bit(bytes, bit));
        if (prefix < BITS) setBit(b, prefix, !bit(bytes, prefix));
        return new NodeId(b);
    }

    private static boolean bit(byte[] b, int i) {
        return (b[i >> 3] & (0x80 >> (i & 7))) != 0;
    }

    private static void setBit(byte[] b, int i, boolean on) {
        if (on) b[i >> 3] |= (byte) (0x80 >> (i & 7));
        else b[i >> 3] &= (byte) ~(0x80 >> (i & 7));
    }

    @Override
    public int compareTo(NodeId o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodeId n && Arrays.equals(bytes, n.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return Hex.encode(bytes);
    }
}
