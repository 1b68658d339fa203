package io.megatorrent.dht;

import io.megatorrent.codec.BValue;
import io.megatorrent.codec.Bencode;
import io.megatorrent.crypto.Hashes;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** BEP 44's signed buffer and targets: the one place both the DHT and content sign or check items. */
public final class Bep44 {
    /** Largest bencoded v a node stores (BEP 44). */
    public static final int MAX_VALUE_LENGTH = 1000;
    /** Longest salt a node accepts (BEP 44). */
    public static final int MAX_SALT_LENGTH = 64;

    private Bep44() {}

    /** The bytes a mutable item's signature covers: [4:salt{len}:{salt}]3:seqi{seq}e1:v{bencoded v}. */
    public static byte[] signedBuffer(byte[] salt, long seq, byte[] bencodedValue) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bencodedValue.length + 32 + salt.length);
        if (salt.length > 0) {
            out.writeBytes(("4:salt" + salt.length + ":").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(salt);
        }
        out.writeBytes(("3:seqi" + seq + "e1:v").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(bencodedValue);
        return out.toByteArray();
    }

    /** Target of a mutable item: SHA-1(public key || salt). */
    public static byte[] mutableTarget(byte[] publicKey, byte[] salt) {
        return Hashes.sha1(publicKey, salt);
    }

    /** Target of an immutable item: SHA-1(bencoded v). */
    public static byte[] immutableTarget(byte[] bencodedValue) {
        return Hashes.sha1(bencodedValue);
    }

    public static byte[] immutableTarget(BValue value) {
        return immutableTarget(Bencode.encode(value));
    }
}
