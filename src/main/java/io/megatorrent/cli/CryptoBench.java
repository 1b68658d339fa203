package io.megatorrent.cli;

import io.megatorrent.crypto.ChaChaPoly;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.crypto.Hashes;
import java.io.PrintStream;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;

/** ChaCha20-Poly1305 and SHA-256 throughput on 1 MiB buffers, Ed25519 verifications per second. */
final class CryptoBench {
    private static final int BUFFER = 1 << 20;

    private CryptoBench() {}

    static int run(String[] argv, PrintStream out) throws UsageException {
        Args args = Args.parse(argv, List.of(Args.Option.value("seconds", "S", "time per measurement (default 2)")));
        args.noPositional();
        double seconds = args.longValue("seconds", 2, 1, 600);
        byte[] data = new byte[BUFFER];
        new Random(1).nextBytes(data);
        byte[] key = new byte[32];
        byte[] nonce = new byte[12];
        ChaChaPoly aead = new ChaChaPoly(key);
        byte[] sealed = new byte[BUFFER + ChaChaPoly.TAG_LENGTH];
        out.println("megatorrent bench crypto (Java " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " cores, 1 MiB buffers, one thread)");
        double chacha = throughput(seconds, () -> {
            nonce[0]++;
            aead.seal(nonce, null, data, 0, data.length, sealed, 0);
        });
        out.printf("ChaCha20-Poly1305 seal   %8.1f MB/s%n", chacha);
        MessageDigest sha = Hashes.sha256();
        double sha256 = throughput(seconds, () -> sha.digest(data));
        out.printf("SHA-256                  %8.1f MB/s%n", sha256);
        Ed25519.KeyPair kp = Ed25519.fromSeed(new byte[32]);
        byte[] message = new byte[64];
        byte[] sig = kp.sign(message);
        byte[] pub = kp.publicKey();
        long count = 0;
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        while (System.nanoTime() < deadline) {
            if (!Ed25519.verify(pub, message, sig)) throw new IllegalStateException("verification failed");
            count++;
        }
        out.printf("Ed25519 verify           %8.0f verifications/s%n", count / ((System.nanoTime() - start) / 1e9));
        return ExitCodes.OK;
    }

    private static double throughput(double seconds, Runnable op) {
        for (int i = 0; i < 20; i++) op.run(); // warm-up: let the JIT compile the intrinsics
        long bytes = 0;
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        while (System.nanoTime() < deadline) {
            op.run();
            bytes += BUFFER;
        }
        return bytes / ((System.nanoTime() - start) / 1e9) / 1e6;
    }
}
