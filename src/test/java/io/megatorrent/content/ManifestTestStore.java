package io.megatorrent.content;

import io.megatorrent.codec.Hex;
import io.megatorrent.crypto.ChaChaPoly;
import io.megatorrent.crypto.CryptoException;
import io.megatorrent.crypto.Hashes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-memory {@link ManifestStore} for tests, standing in for the blob store until the node
 * wires the real one: 1 MiB chunks, each sealed under the file key with the chunk index as nonce,
 * id = SHA-256 of the sealed chunk; loading verifies every hash and tag.
 */
final class ManifestTestStore implements ManifestStore {
    final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();

    @Override
    public FileEntry store(byte[] bytes) {
        byte[] key = new byte[32];
        random.nextBytes(key);
        List<String> ids = new ArrayList<>();
        for (int off = 0, i = 0; off < bytes.length; off += FileEntry.CHUNK_SIZE, i++) {
            byte[] chunk = Arrays.copyOfRange(bytes, off, Math.min(bytes.length, off + FileEntry.CHUNK_SIZE));
            byte[] sealed = ChaChaPoly.seal(key, nonce(i), null, chunk);
            String id = Hex.encode(Hashes.sha256(sealed));
            blobs.put(id, sealed);
            ids.add(id);
        }
        return new FileEntry("stored", bytes.length, ids, key);
    }

    @Override
    public byte[] load(FileEntry file) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < file.blobIds().size(); i++) {
            String id = file.blobIds().get(i);
            byte[] sealed = blobs.get(id);
            if (sealed == null) throw new IOException("missing blob " + id);
            if (!Hex.encode(Hashes.sha256(sealed)).equals(id)) throw new IOException("corrupt blob " + id);
            try {
                out.writeBytes(ChaChaPoly.open(file.fileKey(), nonce(i), null, sealed));
            } catch (CryptoException e) {
                throw new IOException("blob " + id + " does not decrypt", e);
            }
        }
        if (out.size() != file.size()) throw new IOException("file is " + out.size() + " bytes, entry says " + file.size());
        return out.toByteArray();
    }

    private static byte[] nonce(int index) {
        return ByteBuffer.allocate(12).putInt(8, index).array();
    }
}
