package io.megatorrent.transport.sam;

import io.megatorrent.crypto.Hashes;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;

/**
 * I2P destinations as SAM writes them: I2P's base64 (the standard alphabet with '-' for '+' and
 * '~' for '/', padded) of the binary destination, which is a 256-byte public key, a 128-byte
 * signing key field and a certificate (type, 2-byte length, payload). A private destination
 * (what SESSION CREATE takes back) is the destination followed by the private keys.
 */
public final class I2pDestination {
    /** Public key + signing key fields before the certificate. */
    static final int KEYS_LENGTH = 384;
    /** Certificate type byte + 2-byte length. */
    static final int CERT_HEADER_LENGTH = 3;
    static final int CERT_TYPE_KEY = 5;
    /** Ed25519 signature type in a key certificate (SAM SIGNATURE_TYPE=7). */
    public static final int SIGNATURE_TYPE_ED25519 = 7;
    /** Longest private destination text we accept (Ed25519 is 884 characters; room for other keys). */
    static final int MAX_BASE64_LENGTH = 4096;

    private I2pDestination() {}

    static byte[] decode(String i2pBase64, String what) throws SamException {
        if (i2pBase64.isEmpty() || i2pBase64.length() > MAX_BASE64_LENGTH) {
            throw SamException.protocol(what + " must be 1.." + MAX_BASE64_LENGTH + " characters of I2P base64");
        }
        for (int i = 0; i < i2pBase64.length(); i++) {
            char c = i2pBase64.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '~' || c == '=';
            if (!ok) throw SamException.protocol(what + " has a non-base64 character at index " + i);
        }
        try {
            return Base64.getDecoder().decode(i2pBase64.replace('-', '+').replace('~', '/'));
        } catch (IllegalArgumentException e) {
            throw SamException.protocol(what + " is not valid I2P base64: " + e.getMessage());
        }
    }

    static String encode(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes).replace('+', '-').replace('/', '~');
    }

    /** Length of the public destination at the start of {@code bytes}, checking its certificate. */
    static int destinationLength(byte[] bytes, String what) throws SamException {
        if (bytes.length < KEYS_LENGTH + CERT_HEADER_LENGTH) {
            throw SamException.protocol(what + " is " + bytes.length + " bytes, shorter than a destination ("
                    + (KEYS_LENGTH + CERT_HEADER_LENGTH) + ")");
        }
        int certLength = ((bytes[KEYS_LENGTH + 1] & 0xff) << 8) | (bytes[KEYS_LENGTH + 2] & 0xff);
        int total = KEYS_LENGTH + CERT_HEADER_LENGTH + certLength;
        if (total > bytes.length) {
            throw SamException.protocol(what + ": certificate length " + certLength + " runs past the end (offset " + (KEYS_LENGTH + 1) + ")");
        }
        return total;
    }

    /** A public destination in I2P base64, checked: exact length, a valid certificate. Returns it unchanged. */
    public static String requirePublic(String base64) throws SamException {
        byte[] b = decode(base64, "destination");
        if (destinationLength(b, "destination") != b.length) {
            throw SamException.protocol("destination has " + (b.length - destinationLength(b, "destination")) + " bytes after its certificate");
        }
        return base64;
    }

    /** The public destination (I2P base64) at the start of a private destination. */
    public static String publicOf(String privateBase64) throws SamException {
        byte[] b = decode(privateBase64, "private destination");
        int n = destinationLength(b, "private destination");
        if (n == b.length) throw SamException.protocol("private destination carries no private keys");
        return encode(Arrays.copyOf(b, n));
    }

    /** The signature type of a destination's key certificate, or 0 (DSA-SHA1) without one. */
    public static int signatureType(String publicBase64) throws SamException {
        byte[] b = decode(publicBase64, "destination");
        destinationLength(b, "destination");
        if ((b[KEYS_LENGTH] & 0xff) != CERT_TYPE_KEY) return 0;
        if (b.length < KEYS_LENGTH + CERT_HEADER_LENGTH + 2) throw SamException.protocol("key certificate too short");
        return ((b[KEYS_LENGTH + 3] & 0xff) << 8) | (b[KEYS_LENGTH + 4] & 0xff);
    }

    /** The "xxxx.b32.i2p" name of a destination: base32 (RFC 4648, lowercase, unpadded) of its SHA-256. */
    public static String b32Of(String publicBase64) throws SamException {
        byte[] b = decode(publicBase64, "destination");
        if (destinationLength(b, "destination") != b.length) throw SamException.protocol("not a public destination");
        return base32(Hashes.sha256(b)) + ".b32.i2p";
    }

    static String base32(byte[] data) {
        final String alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        StringBuilder sb = new StringBuilder((data.length * 8 + 4) / 5);
        int buffer = 0;
        int bits = 0;
        for (byte d : data) {
            buffer = (buffer << 8) | (d & 0xff);
            bits += 8;
            while (bits >= 5) {
                sb.append(alphabet.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) sb.append(alphabet.charAt((buffer << (5 - bits)) & 31));
        return sb.toString();
    }

    /** True for text that is an I2P host name (".i2p", including ".b32.i2p") rather than a destination. */
    static boolean isName(String host) {
        return host.toLowerCase(Locale.ROOT).endsWith(".i2p");
    }
}
