package io.megatorrent.transport;

import io.megatorrent.transport.sam.I2pDestination;
import io.megatorrent.transport.sam.SamException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * The grammar of a peer name, as MSG_PEERS carries it (address kind 3, PROTOCOL_FINAL.md 4.5)
 * and section 5.1 writes it: a DNS name, a Tor v3 onion, an I2P address-book name, a
 * {@code .b32.i2p} name or an I2P base64 destination; nothing else. A name a resolver could read
 * as an IP address ({@code 127.1}, {@code 2130706433}, {@code 0x7f000001}) is not a name: an
 * address travels as kind 1 or 2, so one address has one spelling on the wire.
 */
public final class PeerName {
    /** What a valid name is; whether it takes a port (I2P streams have none: port 0). */
    public enum Kind {
        DNS(true), ONION(true), I2P_NAME(false), I2P_B32(false), I2P_DESTINATION(false);

        private final boolean hasPort;

        Kind(boolean hasPort) {
            this.hasPort = hasPort;
        }

        /** True when the peer is reached on a port 1..65535; false when the port must be 0. */
        public boolean hasPort() {
            return hasPort;
        }
    }

    /** Longest DNS name (RFC 1035 2.3.4, without the root's trailing dot). */
    public static final int MAX_DNS_NAME_LENGTH = 253;
    /** Shortest base64 destination: 387 bytes without a certificate payload is 516 characters. */
    static final int MIN_DESTINATION_LENGTH = 516;
    private static final Pattern ONION = Pattern.compile("[a-z2-7]{56}\\.onion");
    private static final Pattern B32 = Pattern.compile("[a-z2-7]{52}\\.b32\\.i2p");
    private static final byte ONION_VERSION = 3;

    private PeerName() {}

    /** The kind of a valid name; otherwise IllegalArgumentException saying what is wrong. */
    public static Kind kind(String name) {
        if (name.isEmpty() || name.length() > PeerAddress.MAX_HOST_LENGTH) {
            throw new IllegalArgumentException("a name is 1.." + PeerAddress.MAX_HOST_LENGTH + " characters, got " + name.length());
        }
        if (name.indexOf('.') < 0 && name.length() >= MIN_DESTINATION_LENGTH) {
            try {
                I2pDestination.requirePublic(name);
            } catch (SamException e) {
                throw new IllegalArgumentException("not an I2P destination: " + e.getMessage());
            }
            return Kind.I2P_DESTINATION;
        }
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        if (lower.endsWith(".onion")) {
            if (!ONION.matcher(name).matches()) throw new IllegalArgumentException("an onion name is 56 lowercase base32 characters then '.onion'");
            checkOnion(name);
            return Kind.ONION;
        }
        if (lower.endsWith(".b32.i2p")) {
            if (!B32.matcher(name).matches()) throw new IllegalArgumentException("a .b32.i2p name is 52 lowercase base32 characters then '.b32.i2p'");
            return Kind.I2P_B32;
        }
        String problem = dnsProblem(name);
        if (problem != null) throw new IllegalArgumentException(problem);
        return lower.endsWith(".i2p") ? Kind.I2P_NAME : Kind.DNS;
    }

    /** True for a DNS name by the grammar of {@link #dnsProblem}. */
    public static boolean isDnsName(String name) {
        return dnsProblem(name) == null;
    }

    /**
     * Null for a DNS host name (RFC 1123 2.1: labels of letters, digits and inner hyphens, 1-63
     * characters each, at most 253 in all, no trailing dot) whose last label is not numeric; else
     * why not. A last label of digits only, or {@code 0x} followed by hex digits, is how resolvers
     * (inet_aton, the WHATWG URL standard) recognise an IPv4 address in any of its spellings
     * ({@code 1.2.3.256}, {@code 127.1}, {@code 2130706433}, {@code 0x7f000001}): never a name.
     */
    public static String dnsProblem(String name) {
        if (name.isEmpty()) return "empty name";
        if (name.length() > MAX_DNS_NAME_LENGTH) return "a DNS name is at most " + MAX_DNS_NAME_LENGTH + " characters, got " + name.length();
        String[] labels = name.split("\\.", -1);
        for (String label : labels) {
            if (label.isEmpty()) return "empty label in '" + name + "' (no leading, trailing or double dot)";
            if (label.length() > 63) return "label longer than 63 characters in '" + name + "'";
            if (label.startsWith("-") || label.endsWith("-")) return "label starts or ends with '-' in '" + name + "'";
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
                if (!ok) return "character '" + printable(c) + "' is not allowed in a name";
            }
        }
        if (isNumeric(labels[labels.length - 1])) return "'" + name + "' ends in a number: an IP address, not a name";
        return null;
    }

    private static boolean isNumeric(String label) {
        if (label.chars().allMatch(c -> c >= '0' && c <= '9')) return true;
        if (label.length() < 2 || label.charAt(0) != '0' || (label.charAt(1) != 'x' && label.charAt(1) != 'X')) return false;
        return label.substring(2).chars().allMatch(c -> Character.digit(c, 16) >= 0);
    }

    /** Tor rend-spec-v3 6: base32(public key [32] || checksum [2] || version [1]), checksum = SHA3-256(".onion checksum" || key || version)[:2]. */
    private static void checkOnion(String name) {
        byte[] raw = base32Decode(name.substring(0, 56));
        if (raw[34] != ONION_VERSION) throw new IllegalArgumentException("onion name of version " + (raw[34] & 0xFF) + ", only version 3 exists");
        try {
            MessageDigest sha3 = MessageDigest.getInstance("SHA3-256");
            sha3.update(".onion checksum".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            sha3.update(raw, 0, 32);
            sha3.update(ONION_VERSION);
            byte[] sum = sha3.digest();
            if (!Arrays.equals(sum, 0, 2, raw, 32, 34)) throw new IllegalArgumentException("onion name with a wrong checksum");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK lacks SHA3-256", e);
        }
    }

    /** RFC 4648 base32, lowercase, no padding; the length is a multiple of 8 characters here. */
    private static byte[] base32Decode(String s) {
        byte[] out = new byte[s.length() * 5 / 8];
        long buffer = 0;
        int bits = 0;
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            buffer = (buffer << 5) | (c >= 'a' ? c - 'a' : c - '2' + 26);
            bits += 5;
            if (bits >= 8) {
                out[n++] = (byte) (buffer >> (bits - 8));
                bits -= 8;
            }
        }
        return out;
    }

    /** An onion name for a 32-byte public key (for tests and vectors). */
    public static String onionOf(byte[] publicKey) {
        if (publicKey.length != 32) throw new IllegalArgumentException("an onion key is 32 bytes");
        try {
            MessageDigest sha3 = MessageDigest.getInstance("SHA3-256");
            sha3.update(".onion checksum".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            sha3.update(publicKey);
            sha3.update(ONION_VERSION);
            byte[] sum = sha3.digest();
            byte[] raw = Arrays.copyOf(publicKey, 35);
            raw[32] = sum[0];
            raw[33] = sum[1];
            raw[34] = ONION_VERSION;
            final String alphabet = "abcdefghijklmnopqrstuvwxyz234567";
            StringBuilder sb = new StringBuilder(56);
            int buffer = 0;
            int bits = 0;
            for (byte b : raw) {
                buffer = (buffer << 8) | (b & 0xFF);
                bits += 8;
                while (bits >= 5) {
                    sb.append(alphabet.charAt((buffer >> (bits - 5)) & 31));
                    bits -= 5;
                }
            }
            return sb + ".onion";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK lacks SHA3-256", e);
        }
    }

    private static String printable(char c) {
        return c < 0x21 || c > 0x7E ? String.format("\\u%04x", (int) c) : String.valueOf(c);
    }
}
