package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.dht.Bep44;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The publish and subscribe walks between collections and a DHT item, for 10,000-file manifests. */
class ManifestPublishResolveTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ChannelIdentity PUBLIC = new ChannelIdentity(ManifestFixtures.key(21), null);
    private static final ChannelIdentity PRIVATE = new ChannelIdentity(ManifestFixtures.key(22), ManifestFixtures.bytes(32, 0x5a));

    @Test
    void tenThousandFilesPublishAndResolve() throws Exception {
        List<ManifestCollection> files = ManifestFixtures.many(10_000, 1);
        ManifestTestStore store = new ManifestTestStore();
        ManifestPublisher.Publication pub = ManifestPublisher.publish(PUBLIC, 5, 1_764_000_000L, files, store, RANDOM);
        int manifestBytes = pub.manifest().toBytes().length;
        System.out.printf("10,000-file manifest: %d bytes in %d blobs, pointer %d bytes (%s)%n", manifestBytes,
                pub.manifestFile().blobIds().size(), pub.item().value().length, pub.pointer().locator().getClass().getSimpleName());
        assertTrue(manifestBytes > 1_000_000, "a realistic 10,000-file manifest is over a megabyte: " + manifestBytes);
        assertTrue(pub.item().value().length <= Bep44.MAX_VALUE_LENGTH);
        assertInstanceOf(ManifestPointer.Direct.class, pub.pointer().locator());

        ManifestResolver.Resolved r = ManifestResolver.resolve(PUBLIC.uri(), pub.item(), -1, store);
        assertTrue(r.readable());
        assertEquals(5, r.manifest().seq());
        assertEquals(ManifestFixtures.text(files), ManifestFixtures.text(r.collections()));
    }

    @Test
    void longBlobListsGoThroughAnIndex() throws Exception {
        // 10,000 files of 12 blobs each: a manifest of about 10 MB, more blobs than a pointer lists inline.
        List<ManifestCollection> files = ManifestFixtures.many(10_000, 12);
        ManifestTestStore store = new ManifestTestStore();
        ManifestPublisher.Publication pub = ManifestPublisher.publish(PUBLIC, 9, 1, files, store, RANDOM);
        System.out.printf("10,000 files x 12 blobs: manifest %d bytes in %d blobs, pointer %d bytes (%s)%n",
                pub.manifestFile().size(), pub.manifestFile().blobIds().size(), pub.item().value().length,
                pub.pointer().locator().getClass().getSimpleName());
        assertTrue(pub.manifestFile().blobIds().size() > ManifestPointer.MAX_DIRECT_BLOBS);
        assertInstanceOf(ManifestPointer.Index.class, pub.pointer().locator());
        assertTrue(pub.item().value().length <= Bep44.MAX_VALUE_LENGTH);
        assertEquals(pub.manifestFile().blobIds().size() + 1, pub.blobIds().size());

        ManifestResolver.Resolved r = ManifestResolver.resolve(PUBLIC.uri(), pub.item(), 9, store);
        assertEquals(ManifestFixtures.text(files), ManifestFixtures.text(r.collections()));
    }

    @Test
    void privateChannelResolvesWithTheKeyOnly() throws Exception {
        List<ManifestCollection> files = ManifestFixtures.many(10_000, 1);
        ManifestTestStore store = new ManifestTestStore();
        ManifestPublisher.Publication pub = ManifestPublisher.publish(PRIVATE, 2, 1, files, store, RANDOM);
        assertTrue(pub.manifest().isEncrypted());

        ManifestResolver.Resolved withKey = ManifestResolver.resolve(PRIVATE.privateUri(), pub.item(), -1, store);
        assertEquals(ManifestFixtures.text(files), ManifestFixtures.text(withKey.collections()));

        ManifestResolver.Resolved withoutKey = ManifestResolver.resolve(PRIVATE.uri(), pub.item(), -1, store);
        assertFalse(withoutKey.readable());
        assertNull(withoutKey.collections());
        assertTrue(withoutKey.manifest().isEncrypted());
        assertEquals(2, withoutKey.manifest().seq());

        ChannelUri wrongKey = new ChannelUri(PRIVATE.publicKey(), ManifestFixtures.bytes(32, 1), List.of());
        assertEquals("ciphertext", assertThrows(ManifestException.class, () -> ManifestResolver.resolve(wrongKey, pub.item(), -1, store)).field());
    }

    @Test
    void resolverRefusesOldSeqForeignKeysAndMismatches() throws Exception {
        ManifestTestStore store = new ManifestTestStore();
        ManifestPublisher.Publication pub = ManifestPublisher.publish(PUBLIC, 5, 1, ManifestFixtures.small(), store, RANDOM);
        // A replayed older item.
        assertEquals("seq", assertThrows(ManifestException.class, () -> ManifestResolver.resolve(PUBLIC.uri(), pub.item(), 6, store)).field());
        // Another channel's URI.
        assertEquals("publicKey", assertThrows(ManifestException.class,
                () -> ManifestResolver.resolve(PRIVATE.uri(), pub.item(), -1, store)).field());
        // A pointer at seq 6 re-signed over the seq-5 manifest: the seq inside the manifest disagrees.
        SignedPointer reSigned = SignedPointer.sign(PUBLIC.keyPair(), 6, pub.pointer());
        assertEquals("seq", assertThrows(ManifestException.class, () -> ManifestResolver.resolve(PUBLIC.uri(), reSigned, -1, store)).field());
        // A pointer to another channel's manifest, signed by this channel.
        ManifestPublisher.Publication other = ManifestPublisher.publish(
                new ChannelIdentity(ManifestFixtures.key(23), null), 5, 1, ManifestFixtures.small(), store, RANDOM);
        SignedPointer stolen = SignedPointer.sign(PUBLIC.keyPair(), 5, other.pointer());
        assertEquals("publicKey", assertThrows(ManifestException.class, () -> ManifestResolver.resolve(PUBLIC.uri(), stolen, -1, store)).field());
        // A missing blob is an I/O error naming it.
        store.blobs.clear();
        var e = assertThrows(IOException.class, () -> ManifestResolver.resolve(PUBLIC.uri(), pub.item(), -1, store));
        assertTrue(e.getMessage().contains(pub.manifestFile().blobIds().get(0)));
    }
}
