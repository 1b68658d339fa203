package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The publish and resolve walks through the real on-disk blob store. */
class ManifestBlobStoreTest {
    @TempDir
    Path dir;

    @Test
    void tenThousandFilesThroughTheBlobStore() throws Exception {
        BlobStore blobs = BlobStore.open(dir.resolve("publisher"));
        ManifestStore store = new ManifestBlobStore(blobs);
        ChannelIdentity channel = new ChannelIdentity(ManifestFixtures.key(31), ManifestFixtures.bytes(32, 9));
        List<ManifestCollection> files = ManifestFixtures.many(10_000, 1);
        ManifestPublisher.Publication pub = ManifestPublisher.publish(channel, 1, 1, files, store, new SecureRandom());
        for (String id : pub.blobIds()) {
            assertEquals(Blob.BLOB_SIZE, Files.size(blobs.path(id)), "every manifest blob is a full-size blob");
        }
        ManifestResolver.Resolved r = ManifestResolver.resolve(channel.privateUri(), pub.item(), -1, store);
        assertEquals(ManifestFixtures.text(files), ManifestFixtures.text(r.collections()));

        // A subscriber's store holding copies of the blobs resolves the same way.
        BlobStore subscriber = BlobStore.open(dir.resolve("subscriber"));
        for (String id : pub.blobIds()) subscriber.put(id, blobs.read(id));
        ManifestResolver.Resolved s = ManifestResolver.resolve(channel.privateUri(), pub.item(), 0, new ManifestBlobStore(subscriber));
        assertEquals(ManifestFixtures.text(files), ManifestFixtures.text(s.collections()));
    }

    @Test
    void indexFormThroughTheBlobStore() throws Exception {
        ManifestStore store = new ManifestBlobStore(BlobStore.open(dir));
        ChannelIdentity channel = new ChannelIdentity(ManifestFixtures.key(32), null);
        List<ManifestCollection> files = ManifestFixtures.many(10_000, 12);
        ManifestPublisher.Publication pub = ManifestPublisher.publish(channel, 4, 1, files, store, new SecureRandom());
        assertInstanceOf(ManifestPointer.Index.class, pub.pointer().locator());
        ManifestResolver.Resolved r = ManifestResolver.resolve(channel.uri(), pub.item(), -1, store);
        assertEquals(ManifestFixtures.text(files), ManifestFixtures.text(r.collections()));
    }

    @Test
    void corruptAndMissingBlobsAreNamed() throws Exception {
        BlobStore blobs = BlobStore.open(dir);
        ManifestStore store = new ManifestBlobStore(blobs);
        ChannelIdentity channel = new ChannelIdentity(ManifestFixtures.key(33), null);
        ManifestPublisher.Publication pub = ManifestPublisher.publish(channel, 1, 1, ManifestFixtures.small(), store, new SecureRandom());
        String id = pub.manifestFile().blobIds().get(0);
        byte[] blob = Files.readAllBytes(blobs.path(id));
        blob[100] ^= 1;
        Files.write(blobs.path(id), blob);
        CorruptBlobException corrupt = assertThrows(CorruptBlobException.class, () -> ManifestResolver.resolve(channel.uri(), pub.item(), -1, store));
        assertEquals(id, corrupt.blobId());
        assertTrue(!Files.exists(blobs.path(id)), "the corrupt blob is moved aside");
        MissingBlobException missing = assertThrows(MissingBlobException.class, () -> ManifestResolver.resolve(channel.uri(), pub.item(), -1, store));
        assertEquals(id, missing.blobId());
    }
}
