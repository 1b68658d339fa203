package io.megatorrent.node;

import io.megatorrent.codec.Bencode;
import io.megatorrent.content.ChannelUri;
import io.megatorrent.content.FileEntry;
import io.megatorrent.content.ManifestCollection;
import io.megatorrent.content.ManifestException;
import io.megatorrent.content.ManifestResolver;
import io.megatorrent.content.SignedPointer;
import io.megatorrent.content.ItemName;
import io.megatorrent.dht.DhtNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The subscribe walk on a running {@link Node}: channel URI -> DHT get of the pointer ->
 * manifest blobs fetched from the peers the DHT names -> manifest verified (signature, key,
 * sequence not older than the last accepted) and, for a private channel, decrypted -> each
 * file's blobs fetched (up to {@link #MAX_CONCURRENT_FILES} files at once) -> reassembled under the output folder at the
 * names the manifest gives, which are checked so none can land outside it.
 */
public final class Subscriber {
    /**
     * Files fetched and reassembled at once. Each reassembly runs up to 16 workers with a 1 MiB
     * buffer each, so this bounds memory whatever the manifest lists (100,000 tiny files would
     * otherwise mean 100,000 reassemblies at once); the blobs of those files are fetched by the
     * downloader, whose own bound ({@link BlobDownloader#MAX_CONCURRENT_FETCHES}) spans them all.
     */
    public static final int MAX_CONCURRENT_FILES = 4;

    private final Node node;
    /** Files being fetched or reassembled now, and the most there ever were (for tests). */
    final java.util.concurrent.atomic.AtomicInteger filesInProgress = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger maxFilesInProgress = new java.util.concurrent.atomic.AtomicInteger();

    public Subscriber(Node node) {
        this.node = node;
    }

    /**
     * The channel's newest pointer item in the DHT (BEP 44 get under the channel key, salt
     * "megatorrent"; the lookup keeps only items whose signature verifies).
     *
     * @throws IOException when the DHT holds none
     */
    public SignedPointer pointer(ChannelUri uri) throws IOException, InterruptedException {
        Optional<DhtNode.Item> item = node.dht().getMutable(uri.publicKey(), SignedPointer.SALT, Node.LOOKUP_TIMEOUT);
        if (item.isEmpty()) throw new IOException("no pointer for channel " + HexFormat.of().formatHex(uri.publicKey()) + " found in the DHT");
        DhtNode.Item i = item.get();
        return new SignedPointer(i.publicKey(), i.seq(), Bencode.encode(i.value()), i.signature());
    }

    /**
     * Verifies the item and the manifest it points to, fetching the manifest's blobs from peers.
     * Remembers the sequence in the node's data folder, across restarts: a later call with an
     * older item fails ({@code seq}).
     */
    public ManifestResolver.Resolved resolve(ChannelUri uri, SignedPointer item) throws IOException, InterruptedException, ManifestException {
        long last = node.channelSeqs().last(uri.publicKey());
        BlobManifestStore store = new BlobManifestStore(node.blobs(), ids -> node.downloader().download(ids));
        ManifestResolver.Resolved r = ManifestResolver.resolve(uri, item, last, store);
        node.channelSeqs().accept(uri.publicKey(), r.manifest().seq());
        return r;
    }

    /** One file written: where, and what the manifest said it is. */
    public record Written(String collection, FileEntry entry, Path path) {}

    /**
     * Fetches every file's blobs and reassembles each file at {@code outDir/COLLECTION/NAME},
     * {@link #MAX_CONCURRENT_FILES} files at a time. A file that exists already is an error (nothing is overwritten).
     */
    public List<Written> download(List<ManifestCollection> collections, Path outDir) throws IOException, InterruptedException, ManifestException {
        Files.createDirectories(outDir);
        List<Written> planned = new ArrayList<>();
        for (ManifestCollection c : collections) {
            for (FileEntry f : c.items()) planned.add(new Written(c.name(), f, ItemName.resolveUnder(outDir, c.name(), f.name())));
        }
        // A few workers take the files in turn: neither threads nor reassemblies grow with the manifest.
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        int workers = Math.min(MAX_CONCURRENT_FILES, planned.size());
        List<Future<?>> tasks = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int k = 0; k < workers; k++) {
                tasks.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < planned.size(); i = next.getAndIncrement()) {
                        if (Thread.currentThread().isInterrupted()) throw new InterruptedException();
                        int now = filesInProgress.incrementAndGet();
                        maxFilesInProgress.accumulateAndGet(now, Math::max);
                        try {
                            fetchAndWrite(planned.get(i));
                        } finally {
                            filesInProgress.decrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> t : tasks) {
                try {
                    t.get();
                } catch (ExecutionException e) {
                    next.set(planned.size()); // the other workers stop after their current file
                    pool.shutdownNow();
                    if (e.getCause() instanceof IOException io) throw io;
                    if (e.getCause() instanceof InterruptedException ie) throw ie;
                    if (e.getCause() instanceof ManifestException me) throw me;
                    throw new IOException(e.getCause());
                }
            }
        }
        return planned;
    }

    private void fetchAndWrite(Written w) throws IOException, InterruptedException {
        Files.createDirectories(w.path().getParent());
        WriteWhileFetching.run(l -> node.downloader().download(w.entry().blobIds(), l), node.blobs().store(), w.entry(), w.path(), false,
                BlobDownloader.BlobListener.NONE);
    }
}
