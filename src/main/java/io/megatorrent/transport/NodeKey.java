package io.megatorrent.transport;

import io.megatorrent.crypto.X25519;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

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
        if (Files.exists(file)) return load(file);
        Files.createDirectories(dataDir);
        X25519.KeyPair key = X25519.generate();
        Path tmp = dataDir.resolve(FILE_NAME + ".tmp-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId());
        try {
            Set<StandardOpenOption> opts = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            try (FileChannel ch = posix(dataDir)
                    ? FileChannel.open(tmp, opts, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                    : FileChannel.open(tmp, opts)) {
                ch.write(ByteBuffer.wrap(key.privateKey()));
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot create " + file + " atomically: " + e.getMessage(), e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        // Another process may have won the race between our exists() and move: the file on disk is the key.
        return load(file);
    }

    static X25519.KeyPair load(Path file) throws IOException {
        long size = Files.size(file);
        if (size != X25519.KEY_LENGTH) {
            throw new IOException(file + " is " + size + " bytes, not a 32-byte X25519 key; refusing to replace it (move it away to make a new identity)");
        }
        return X25519.fromPrivate(Files.readAllBytes(file));
    }

    private static boolean posix(Path dir) {
        return dir.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
