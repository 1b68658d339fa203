package io.megatorrent.content;

import io.megatorrent.codec.Hex;
import io.megatorrent.crypto.ChaChaPoly;
import io.megatorrent.crypto.CryptoException;
import io.megatorrent.crypto.HashFunction;
import io.megatorrent.crypto.Hashes;
import io.megatorrent.crypto.Hkdf;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The blob format (PROTOCOL_FINAL.md 6.1, 6.2): chunk i of a file, padded to 1 MiB, sealed with
 * ChaCha20-Poly1305 under a key derived once from the file key and a nonce that is the chunk
 * index, so every blob is exactly {@link #BLOB_SIZE} bytes and its id is SHA-256 of it.
 *
 * <p>A {@code Blob.Sealer} holds one JDK cipher and is not thread-safe: one per worker.
 */
public final class Blob {
    public static final int CHUNK_SIZE = FileEntry.CHUNK_SIZE;
    public static final int BLOB_SIZE = CHUNK_SIZE + ChaChaPoly.TAG_LENGTH;
    public static final int ID_LENGTH = 32;
    /** HKDF info that separates the blob key from any other use of a file key. */
    static final byte[] KEY_INFO = "megatorrent v6 blob key".getBytes(StandardCharsets.US_ASCII);

    private Blob() {}

    /** blob key = HKDF-SHA256(salt = empty, IKM = file key, info = "megatorrent v6 blob key", L = 32). */
    public static byte[] blobKey(byte[] fileKey) {
        if (fileKey.length != FileEntry.FILE_KEY_LENGTH) throw new IllegalArgumentException("file key must be 32 bytes");
        return Hkdf.derive(HashFunction.SHA256, new byte[0], fileKey, KEY_INFO, ChaChaPoly.KEY_LENGTH);
    }

    /** nonce of chunk i = uint32be(0) || uint64be(i); the same layout keys the padding generator. */
    public static byte[] nonce(long chunkIndex) {
        if (chunkIndex < 0) throw new IllegalArgumentException("negative chunk index");
        byte[] n = new byte[ChaChaPoly.NONCE_LENGTH];
        for (int b = 0; b < 8; b++) n[4 + b] = (byte) (chunkIndex >>> (56 - 8 * b));
        return n;
    }

    /** Lowercase hex SHA-256 of {@code blob[0, BLOB_SIZE)}. */
    public static String id(byte[] blob, MessageDigest sha256) {
        sha256.reset();
        sha256.update(blob, 0, BLOB_SIZE);
        return Hex.encode(sha256.digest());
    }

    /** Blobs from which a file's processing starts {@link #warmUpJit()}: below, it would cost more than it saves. */
    static final int WARM_UP_FROM_BLOBS = 64;
    /** Calls per warm-up step: above C2's 5,000 invocations, with room for the two to three calls each AEAD call makes. */
    private static final int WARM_UP_CALLS = 4000;
    private static final AtomicBoolean WARMED_UP = new AtomicBoolean();

    /**
     * Starts, once per process and on a background thread, the calls that make the JIT compile
     * the JDK's ChaCha20-Poly1305 and SHA-256 paths with their intrinsics. The JDK applies the
     * Poly1305 and SHA-256 intrinsics only inside a C2-compiled caller, and a 1 MiB blob calls
     * those callers two or three times, so a fresh process ran them through their plain-Java
     * bodies for its first ~2,000-5,000 blobs: opening a blob at ~450 MB/s instead of
     * 1,500-2,800 MB/s on one core of the 2-core development machine. A few thousand calls on
     * 1 KiB buffers (under 0.2 s of one core) compile them at once, while the first blobs run.
     */
    static void warmUpJit() {
        if (!WARMED_UP.compareAndSet(false, true)) return;
        Thread.ofPlatform().daemon().name("blob-jit-warm-up").start(() -> {
            byte[] key = new byte[ChaChaPoly.KEY_LENGTH];
            ChaChaPoly aead = new ChaChaPoly(key);
            MessageDigest sha = Hashes.sha256();
            byte[] buf = new byte[1024 + ChaChaPoly.TAG_LENGTH];
            byte[] plain = new byte[buf.length];
            for (int i = 0; i < WARM_UP_CALLS; i++) {
                byte[] nonce = nonce(i); // a fresh nonce per seal: the JDK refuses to reuse one
                aead.seal(nonce, null, buf, 0, buf.length - ChaChaPoly.TAG_LENGTH, buf, 0);
                try {
                    aead.open(nonce, null, buf, 0, buf.length, plain, 0);
                } catch (CryptoException e) {
                    throw new IllegalStateException("ChaCha20-Poly1305 does not open what it sealed", e);
                }
                sha.update(buf);
                sha.digest();
            }
        });
    }

    /** Seals and opens the chunks of one file. */
    public static final class Sealer {
        private final ChaChaPoly aead;

        public Sealer(byte[] fileKey) {
            this.aead = new ChaChaPoly(blobKey(fileKey));
        }

        /**
         * Turns {@code buf[0, length)}, chunk {@code chunkIndex}'s plaintext, into the blob in place:
         * {@code buf[length, CHUNK_SIZE)} must already hold the padding; {@code buf} must have
         * room for {@link #BLOB_SIZE} bytes.
         */
        public void seal(long chunkIndex, byte[] buf) {
            if (buf.length < BLOB_SIZE) throw new IllegalArgumentException("blob buffer smaller than " + BLOB_SIZE);
            aead.seal(nonce(chunkIndex), null, buf, 0, CHUNK_SIZE, buf, 0);
        }

        /**
         * Opens the blob in {@code buf[0, BLOB_SIZE)} in place; {@code buf[0, CHUNK_SIZE)} then holds
         * the padded plaintext. Fails when the blob was not sealed with this key at this index.
         */
        public void open(long chunkIndex, byte[] buf) throws CryptoException {
            aead.open(nonce(chunkIndex), null, buf, 0, BLOB_SIZE, buf, 0);
        }
    }
}
