package io.megatorrent.transport;

import io.megatorrent.crypto.SecretFile;
import io.megatorrent.crypto.X25519;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The node's long-term Noise static key: {@value #FILE_NAME} in the data folder, the 32-byte
 * X25519 private key and nothing else. Created once with mode 0600 through a temporary file
 * that is synced and then atomically renamed, so a crash never leaves a partial key behind.
 */
public final class NodeKey {
    public static final String FILE_NAME = "transport-static.key";

    private NodeKey() {}

    /** Loads the key from {@code dataDir}, creating the folder and the key if absent. */
    public static X25519.KeyPair loadOrCreate(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            try {
                SecretFile.write(file, X25519.generate().privateKey(), false);
            } catch (FileAlreadyExistsException e) {
                // another process made it between our exists() and write: the file on disk is the key
            }
        }
        return load(file);
    }

    static X25519.KeyPair load(Path file) throws IOException {
        byte[] key = SecretFile.read(file, X25519.KEY_LENGTH + 1);
        if (key.length != X25519.KEY_LENGTH) {
            throw new IOException(file + " is " + key.length + " bytes, not a 32-byte X25519 key; refusing to replace it (move it away to make a new identity)");
        }
        return X25519.fromPrivate(key);
    }
}
