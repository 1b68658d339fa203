package io.megatorrent.ledger;

import io.megatorrent.crypto.Ed25519;
import io.megatorrent.crypto.SecretFile;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The node's ledger identity: {@value #FILE_NAME} in the data folder, the 32-byte Ed25519 seed,
 * mode 0600, written atomically once. It is its own key, not a channel key and not the Noise
 * static key, so the ledger can be switched off or replaced (safe mode) without touching either.
 */
public final class LedgerKey {
    public static final String FILE_NAME = "ledger-ed25519.key";

    private LedgerKey() {}

    public static Ed25519.KeyPair loadOrCreate(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            try {
                SecretFile.write(file, Ed25519.generate().seed(), false);
            } catch (FileAlreadyExistsException e) {
                // made by another process meanwhile: the file on disk is the key
            }
        }
        byte[] seed = SecretFile.read(file, Ed25519.SEED_LENGTH + 1);
        if (seed.length != Ed25519.SEED_LENGTH) {
            throw new IOException(file + " is " + seed.length + " bytes, not a 32-byte Ed25519 seed; refusing to replace it (move it away to start a new ledger identity)");
        }
        return Ed25519.fromSeed(seed);
    }
}
