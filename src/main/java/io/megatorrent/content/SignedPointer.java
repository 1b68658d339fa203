package io.megatorrent.content;

import io.megatorrent.crypto.Ed25519;
import io.megatorrent.dht.Bep44;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A channel's BEP 44 mutable item as it is put into and got from the DHT: public key, salt
 * {@link #SALT}, seq, v = the bencoded {@link ManifestPointer}, and the Ed25519 signature over
 * {@link Bep44#signedBuffer}. The DHT stores and serves it without knowing what v means.
 */
public record SignedPointer(byte[] publicKey, long seq, byte[] value, byte[] signature) {
    /** Salt of every channel item: its target is SHA-1(public key || "megatorrent"). */
    public static final byte[] SALT = "megatorrent".getBytes(StandardCharsets.US_ASCII);

    public SignedPointer {
        if (publicKey.length != Ed25519.PUBLIC_KEY_LENGTH) throw new IllegalArgumentException("public key must be 32 bytes");
        if (signature.length != Ed25519.SIGNATURE_LENGTH) throw new IllegalArgumentException("signature must be 64 bytes");
        if (seq < 0) throw new IllegalArgumentException("seq must not be negative");
        publicKey = publicKey.clone();
        value = value.clone();
        signature = signature.clone();
    }

    public static SignedPointer sign(Ed25519.KeyPair key, long seq, ManifestPointer pointer) {
        byte[] value = pointer.encode();
        if (value.length > Bep44.MAX_VALUE_LENGTH) throw new IllegalStateException("pointer of " + value.length + " bytes exceeds BEP 44's 1000");
        return new SignedPointer(key.publicKey(), seq, value, key.sign(Bep44.signedBuffer(SALT, seq, value)));
    }

    /** Where the item lives in the DHT: SHA-1(public key || salt). */
    public static byte[] target(byte[] publicKey) {
        return Bep44.mutableTarget(publicKey, SALT);
    }

    public byte[] target() {
        return target(publicKey);
    }

    /**
     * Checks the item came from the channel {@code expectedPublicKey} names and decodes its pointer.
     * @throws ManifestException "publicKey" for another channel's item, "signature" for a bad
     *     signature, "pointer..." for a malformed value
     */
    public ManifestPointer verify(byte[] expectedPublicKey) throws ManifestException {
        if (!Arrays.equals(publicKey, expectedPublicKey)) throw new ManifestException("publicKey", "item is signed by another key than the channel's");
        if (value.length > Bep44.MAX_VALUE_LENGTH) throw new ManifestException("pointer", "value longer than " + Bep44.MAX_VALUE_LENGTH + " bytes");
        if (!Ed25519.verify(publicKey, Bep44.signedBuffer(SALT, seq, value), signature)) {
            throw new ManifestException("signature", "BEP 44 signature does not verify under the channel key");
        }
        return ManifestPointer.decode(value);
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }
}
