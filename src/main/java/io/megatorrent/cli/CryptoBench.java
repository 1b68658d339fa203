package io.megatorrent.cli;

import io.megatorrent.crypto.Blake2b;
import io.megatorrent.crypto.ChaChaPoly;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.crypto.Hashes;
import java.io.PrintStream;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * ChaCha20-Poly1305 and SHA-256 throughput on 1 MiB buffers and Ed25519 verifications per second,
 * each from the JDK (what the node uses) beside BouncyCastle's pure-Java implementation of the
 * same primitive, measured in the same run; BLAKE2b (BouncyCastle only) beside SHA-256.
 */
final class CryptoBench {
    private static final int BUFFER = 1 << 20;

    private CryptoBench() {}

    static int run(String[] argv, PrintStream out, BenchFigures figures) throws UsageException {
        Args args = Args.parse(argv, List.of(Args.Option.value("seconds", "S", "time per measurement (default 2)")));
        args.noPositional();
        double seconds = args.longValue("seconds", 2, 1, 600);
        byte[] data = new byte[BUFFER + ChaChaPoly.TAG_LENGTH];
        new Random(1).nextBytes(data);
        byte[] key = new byte[32];
        byte[] nonce = new byte[12];
        out.println("megatorrent bench crypto (Java " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors()
                + " cores, 1 MiB buffers, one thread; JDK = what the node uses, BouncyCastle = baseline)");

        ChaChaPoly jdk = new ChaChaPoly(key);
        double jdkChacha = throughput(seconds, () -> {
            nonce[0]++;
            jdk.seal(nonce, null, data, 0, BUFFER, data, 0);
        });
        ChaCha20Poly1305 bc = new ChaCha20Poly1305();
        double bcChacha = throughput(seconds, () -> {
            nonce[0]++;
            bc.init(true, new AEADParameters(new KeyParameter(key), 128, nonce.clone()));
            int n = bc.processBytes(data, 0, BUFFER, data, 0);
            try {
                bc.doFinal(data, n);
            } catch (org.bouncycastle.crypto.InvalidCipherTextException e) {
                throw new IllegalStateException(e);
            }
        });
        out.printf("ChaCha20-Poly1305 seal   JDK %8.1f MB/s   BouncyCastle %8.1f MB/s%n", jdkChacha, bcChacha);
        figures.put("crypto.chacha20poly1305.jdk", jdkChacha, "MB/s");
        figures.put("crypto.chacha20poly1305.bouncycastle", bcChacha, "MB/s");

        MessageDigest sha = Hashes.sha256();
        double jdkSha = throughput(seconds, () -> sha.update(data, 0, BUFFER));
        SHA256Digest bcSha = new SHA256Digest();
        double bcShaRate = throughput(seconds, () -> bcSha.update(data, 0, BUFFER));
        out.printf("SHA-256                  JDK %8.1f MB/s   BouncyCastle %8.1f MB/s%n", jdkSha, bcShaRate);
        figures.put("crypto.sha256.jdk", jdkSha, "MB/s");
        figures.put("crypto.sha256.bouncycastle", bcShaRate, "MB/s");
        byte[] chunk = java.util.Arrays.copyOf(data, BUFFER);
        double blake = throughput(seconds, () -> Blake2b.hash512(chunk));
        out.printf("BLAKE2b-512              (BouncyCastle, the node's only BLAKE2b) %8.1f MB/s%n", blake);
        figures.put("crypto.blake2b512.bouncycastle", blake, "MB/s");

        Ed25519.KeyPair kp = Ed25519.fromSeed(new byte[32]);
        byte[] message = new byte[64];
        byte[] sig = kp.sign(message);
        byte[] pub = kp.publicKey();
        double jdkVerify = rate(seconds, () -> Ed25519.verify(pub, message, sig));
        Ed25519PublicKeyParameters bcPub = new Ed25519PublicKeyParameters(pub, 0);
        double bcVerify = rate(seconds, () -> {
            Ed25519Signer s = new Ed25519Signer();
            s.init(false, bcPub);
            s.update(message, 0, message.length);
            return s.verifySignature(sig);
        });
        out.printf("Ed25519 verify           JDK %8.0f /s     BouncyCastle %8.0f /s  (JDK's adds the small-order key check)%n", jdkVerify, bcVerify);
        figures.put("crypto.ed25519_verify.jdk", jdkVerify, "verifications/s");
        figures.put("crypto.ed25519_verify.bouncycastle", bcVerify, "verifications/s");
        return ExitCodes.OK;
    }

    /** Warm-up before each figure: the JIT compiles the JDK's ChaCha20 and SHA-256 intrinsics only after a few GB. */
    private static final long WARM_UP_NANOS = 3_000_000_000L;

    /** MB/s of {@code op} on 1 MiB, after a warm-up long enough for the JIT to compile the intrinsics. */
    private static double throughput(double seconds, Runnable op) {
        long warm = System.nanoTime() + WARM_UP_NANOS;
        while (System.nanoTime() < warm) op.run();
        long bytes = 0;
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        while (System.nanoTime() < deadline) {
            op.run();
            bytes += BUFFER;
        }
        return bytes / ((System.nanoTime() - start) / 1e9) / 1e6;
    }

    private static double rate(double seconds, BooleanSupplier op) {
        long warm = System.nanoTime() + WARM_UP_NANOS;
        while (System.nanoTime() < warm) {
            if (!op.getAsBoolean()) throw new IllegalStateException("verification failed");
        }
        long count = 0;
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        while (System.nanoTime() < deadline) {
            if (!op.getAsBoolean()) throw new IllegalStateException("verification failed");
            count++;
        }
        return count / ((System.nanoTime() - start) / 1e9);
    }
}
