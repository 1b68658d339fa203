package io.megatorrent.crypto;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 and SHA-1 from the JDK. */
public final class Hashes {
    private Hashes() {}

    public static byte[] sha256(byte[]... parts) {
        MessageDigest md = digest("SHA-256");
        for (byte[] p : parts) md.update(p);
        return md.digest();
    }

    public static byte[] sha1(byte[]... parts) {
        MessageDigest md = digest("SHA-1");
        for (byte[] p : parts) md.update(p);
        return md.digest();
    }

    /** A SHA-1 digest to keep and reuse (not thread-safe). */
    public static MessageDigest sha1() {
        return digest("SHA-1");
    }

    public static MessageDigest sha256() {
        return digest("SHA-256");
    }

    static MessageDigest digest(String name) {
        try {
            return MessageDigest.getInstance(name);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK lacks " + name, e);
        }
    }
}
