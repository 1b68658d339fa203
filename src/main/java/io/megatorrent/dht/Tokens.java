package io.megatorrent.dht;

import io.megatorrent.crypto.Hashes;
import java.net.InetAddress;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Write tokens (BEP 5): token = first 8 bytes of SHA-1(secret || querier's IP). The secret
 * rotates every 5 minutes and a token made with the previous secret is still accepted, so a
 * token lives 5 to 10 minutes. Rotation happens lazily on use; no thread.
 */
final class Tokens {
    static final long ROTATION_NANOS = 5L * 60 * 1_000_000_000L;
    static final int TOKEN_LENGTH = 8;
    static final int SECRET_LENGTH = 16;

    private final SecureRandom random = new SecureRandom();
    private byte[] current = new byte[SECRET_LENGTH];
    private byte[] previous = new byte[SECRET_LENGTH];
    private long rotatedAt;

    Tokens(long now) {
        random.nextBytes(current);
        random.nextBytes(previous);
        rotatedAt = now;
    }

    /** For test vectors: fixed secrets. */
    Tokens(byte[] secret, long now) {
        current = secret.clone();
        previous = secret.clone();
        rotatedAt = now;
    }

    synchronized byte[] issue(InetAddress ip, long now) {
        rotate(now);
        return token(current, ip);
    }

    synchronized boolean valid(byte[] token, InetAddress ip, long now) {
        rotate(now);
        return MessageDigest.isEqual(token, token(current, ip)) || MessageDigest.isEqual(token, token(previous, ip));
    }

    private void rotate(long now) {
        while (now - rotatedAt >= ROTATION_NANOS) {
            previous = current;
            current = new byte[SECRET_LENGTH];
            random.nextBytes(current);
            // after a long idle both secrets are stale: skip ahead without looping for hours
            rotatedAt = now - rotatedAt >= 2 * ROTATION_NANOS ? now : rotatedAt + ROTATION_NANOS;
        }
    }

    /** Kept, not looked up per token: every get_peers and get asks for one (used under this object's lock). */
    private final MessageDigest sha1 = Hashes.sha1();

    private final byte[] digest = new byte[20];

    private byte[] token(byte[] secret, InetAddress ip) {
        sha1.update(secret);
        sha1.update(ip.getAddress());
        try {
            sha1.digest(digest, 0, digest.length);
        } catch (java.security.DigestException e) {
            throw new AssertionError(e); // 20 bytes is SHA-1's length
        }
        return Arrays.copyOf(digest, TOKEN_LENGTH);
    }
}
