package io.megatorrent.content;

import io.megatorrent.crypto.Hashes;
import io.megatorrent.crypto.OwnedFolder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A content-addressed folder of blobs (PROTOCOL_FINAL.md 6.3): {@code DIR/blobs/ab/abcdef...}
 * where the name is the blob's id (SHA-256, lowercase hex) and the shard its first two digits.
 *
 * <p>A blob becomes visible only complete and verified: it is written under a temporary name
 * in its shard folder, fsynced, renamed atomically to its id, and the folder fsynced (a
 * download's blobs, {@link #putDeferred}, get both fsyncs in batches instead). Reads
 * check the length and the hash; a blob that fails is moved to {@code DIR/quarantine/} and
 * reported, never returned. Safe for concurrent use by threads and by processes.
 */
public final class BlobStore {
    public static final String BLOBS_FOLDER = "blobs";
    public static final String QUARANTINE_FOLDER = "quarantine";
    /** Temporary files: {@code .<id>.<pid>-<random>.tmp}; a leading dot keeps them out of any id listing. */
    static final String TEMP_SUFFIX = ".tmp";

    private static final System.Logger LOG = System.getLogger(BlobStore.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long PID = ProcessHandle.current().pid();

    /** Rereads of a blob whose file was replaced (healed by a concurrent put) while it was read. */
    static final int READ_ATTEMPTS = 3;

    private final Path root;
    private final Path quarantine;
    /** Shard folders known to exist with their entry in {@code blobs/} made durable. */
    private final Set<String> shardsMade = ConcurrentHashMap.newKeySet();
    /** Sees every fsync of a folder, and of a blob {@link #putDeferred} wrote (tests: what was made durable). */
    private final Consumer<Path> syncObserver;
    /** Blobs written by {@link #putDeferred} and their shard folders, not fsynced yet. */
    private final Set<Path> unsyncedFiles = ConcurrentHashMap.newKeySet();
    private final Set<Path> unsyncedFolders = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.locks.ReentrantLock syncing = new java.util.concurrent.locks.ReentrantLock();
    /** Whether a download's blobs are written with O_DIRECT: where its blocks fit, until the file system first refuses it. */
    private volatile boolean directWrites;
    /** The last blobs a download stored, for the reassembly that follows it ({@link #readUnhashed}). */
    private final RecentBlobs recent = new RecentBlobs();
    /** Test hook for the quarantine race: called with "check" and "move" just before each step. */
    volatile Consumer<String> quarantineHook = step -> {};

    private BlobStore(Path root, Path quarantine, Consumer<Path> syncObserver) {
        this.root = root;
        this.quarantine = quarantine;
        this.syncObserver = syncObserver;
    }

    /** Opens (creating if needed) the store of a data folder. */
    public static BlobStore open(Path dataDir) throws IOException {
        return open(dataDir, folder -> {});
    }

    static BlobStore open(Path dataDir, Consumer<Path> syncObserver) throws IOException {
        Path dir = dataDir.toAbsolutePath();
        Path root = dir.resolve(BLOBS_FOLDER);
        BlobStore store = new BlobStore(root, dir.resolve(QUARANTINE_FOLDER), syncObserver);
        store.createDurably(root);
        store.directWrites = DirectIo.blocksFit(root);
        return store;
    }

    /**
     * Creates {@code folder} and any missing parents, fsyncing the parent of each folder made,
     * so that none of them (and so no blob in them) can vanish in a power loss after a write
     * was reported done. The data folder and the store's own folders must be folders we own
     * ({@link OwnedFolder}).
     */
    private void createDurably(Path folder) throws IOException {
        java.util.ArrayDeque<Path> missing = new java.util.ArrayDeque<>();
        for (Path p = folder; p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS); p = p.getParent()) missing.push(p);
        try {
            Path dataDir = folder.getParent();
            OwnedFolder.ensureWithParents(dataDir);
            OwnedFolder.ensure(folder);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            throw new IOException("cannot open blob store: " + e.getMessage(), e);
        }
        for (Path made : missing) syncDir(made.getParent()); // outermost first
    }

    public Path root() {
        return root;
    }

    public Path quarantineFolder() {
        return quarantine;
    }

    /** Where blob {@code id} lives (whether or not it is there). */
    public Path path(String id) {
        requireId(id);
        return root.resolve(id.substring(0, 2)).resolve(id);
    }

    public boolean has(String id) {
        return Files.isRegularFile(path(id));
    }

    /**
     * Stores a blob received from anywhere: checks its length, computes its id, returns it.
     * Idempotent; a present id is written again (check {@link #has} first to save the write).
     */
    public String put(byte[] blob) throws IOException {
        requireLength(blob);
        String id = Blob.id(blob, Hashes.sha256());
        write(id, blob, null);
        return id;
    }

    /** Stores a blob that must have id {@code expectedId} (a blob fetched by id from a peer). */
    public void put(String expectedId, byte[] blob) throws IOException {
        requireBlob(expectedId, blob);
        write(expectedId, blob, null);
    }

    /** Refuses a blob whose length is wrong or whose bytes do not hash to {@code expectedId}. */
    private static void requireBlob(String expectedId, byte[] blob) throws IOException {
        requireId(expectedId);
        requireLength(blob);
        String actual = Blob.id(blob, Hashes.sha256());
        if (!actual.equals(expectedId)) {
            throw new CorruptBlobException(expectedId, null, "blob " + expectedId + " rejected: its bytes hash to " + actual);
        }
    }

    /**
     * Stores a blob that must have id {@code expectedId}, as {@link #put(String, byte[])} does,
     * but leaves the fsync of its file and folder to the next {@link #syncDeferred}. The blob is
     * renamed to its id only after its hash matched, so a kill at any point never leaves a file
     * under an id that does not hold that blob; only a power loss before the sync can lose (or,
     * on some file systems, empty) it, and every read checks the length and hash, so such a blob
     * is quarantined and fetched again, never used. A download stores hundreds of blobs a second:
     * two fsyncs each made the disk's flush latency, not the network, set its pace. The blob's
     * chunk goes to disk with O_DIRECT and the store keeps {@code blob} itself a while for the
     * reassembly that follows the download ({@link RecentBlobs}): the caller hands it over and
     * must not change it.
     */
    public void putDeferred(String expectedId, byte[] blob) throws IOException {
        requireBlob(expectedId, blob);
        if (write(expectedId, blob, unsyncedFolders, unsyncedFiles, directWrites)) recent.put(expectedId, blob);
    }

    /** Blobs stored by {@link #putDeferred} whose fsync is still due. */
    public int unsyncedCount() {
        return unsyncedFiles.size();
    }

    /**
     * Makes every blob stored by {@link #putDeferred} before this call durable: their files, then
     * their shard folders (and {@code blobs/} for a shard made meanwhile), fsynced in parallel.
     * A blob deleted or quarantined meanwhile is skipped. On failure what was not synced stays due.
     */
    public void syncDeferred() throws IOException {
        // One sync at a time: a caller must not return while another's snapshot of its blobs is still being fsynced.
        syncing.lock();
        try {
            syncDeferredLocked();
        } finally {
            syncing.unlock();
        }
    }

    private void syncDeferredLocked() throws IOException {
        List<Path> files = new ArrayList<>(unsyncedFiles);
        List<Path> folders = new ArrayList<>(unsyncedFolders);
        unsyncedFiles.removeAll(files);
        unsyncedFolders.removeAll(folders);
        try {
            try {
                ParallelChunks.run(files.size(), () -> i -> {
                    Path file = files.get((int) i);
                    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                        syncObserver.accept(file);
                        ch.force(true);
                    } catch (NoSuchFileException gone) {
                        // deleted (garbage collected) or quarantined since: nothing to keep
                    }
                });
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while syncing blobs");
            }
            List<Path> present = new ArrayList<>();
            for (Path f : folders) if (Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS)) present.add(f); // a folder removed since holds nothing to keep
            syncFolders(present);
        } catch (IOException | RuntimeException e) {
            unsyncedFiles.addAll(files);
            unsyncedFolders.addAll(folders);
            throw e;
        }
    }

    /**
     * Writes {@code blob[0, BLOB_SIZE)} as {@code id}, which the caller has just computed. With
     * {@code foldersToSync} null the shard folder is fsynced now; otherwise it is added to the set
     * for one {@link #syncFolders} at the end of a batch (ingest writes thousands of blobs).
     */
    void write(String id, byte[] blob, Set<Path> foldersToSync) throws IOException {
        write(id, blob, foldersToSync, null, false);
    }

    /**
     * As {@link #write(String, byte[], Set)}; with {@code filesToSync} not null the file's fsync
     * is left to the caller too. With {@code direct} the blob's chunk goes to disk with O_DIRECT;
     * returns whether it did (the file system may refuse).
     */
    private boolean write(String id, byte[] blob, Set<Path> foldersToSync, Set<Path> filesToSync, boolean direct) throws IOException {
        Path shard = root.resolve(id.substring(0, 2));
        Path target = shard.resolve(id);
        // Written even when the id is present: the rename replaces it atomically with bytes just
        // verified, which also heals a copy that was corrupted on disk since.
        String shardName = shard.getFileName().toString();
        if (!shardsMade.contains(shardName)) {
            // Racing workers may both create it and both fsync blobs/: that is fine. No put
            // returns before the shard's entry in blobs/ is durable, whoever created it (another
            // worker, another process, a run that crashed): a single put fsyncs blobs/ now; a
            // batch adds it to the folders it fsyncs at the end (once, not once per shard).
            try {
                OwnedFolder.ensure(shard);
            } catch (NoSuchFileException e) {
                throw e;
            } catch (IOException e) {
                throw new IOException("cannot store blob " + id + ": " + e.getMessage(), e);
            }
            if (foldersToSync == null) {
                syncDir(root);
                shardsMade.add(shardName);
            } else {
                foldersToSync.add(root);
            }
        }
        Path temp = shard.resolve("." + id + "." + PID + "-" + HexFormat.of().toHexDigits(RANDOM.nextLong()) + TEMP_SUFFIX);
        boolean moved = false;
        int from;
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                from = direct ? writeChunkDirect(temp, blob) : 0;
                ByteBuffer b = ByteBuffer.wrap(blob, from, Blob.BLOB_SIZE - from);
                long at = from;
                while (b.hasRemaining()) at += ch.write(b, at);
                if (filesToSync == null) ch.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            moved = true;
            if (filesToSync != null) filesToSync.add(target);
        } catch (FileSystemException e) {
            throw new IOException("cannot store blob " + id + " in " + shard + ": " + e.getClass().getSimpleName() + " " + e.getMessage(), e);
        } finally {
            if (!moved) Files.deleteIfExists(temp);
        }
        if (foldersToSync == null) syncDir(shard);
        else foldersToSync.add(shard);
        return from > 0;
    }

    /**
     * A downloaded blob's chunk (all but its tag) written with O_DIRECT ({@link DirectIo}): its
     * reassembly takes the blob from {@link #recent} instead of reading it back, and peers that
     * ask for it later are served from the disk. Returns the bytes written that way: the chunk,
     * or 0 when the file system refused (then this store writes through the page cache from then on).
     */
    private int writeChunkDirect(Path temp, byte[] blob) throws java.nio.channels.ClosedByInterruptException {
        try (FileChannel direct = DirectIo.open(temp)) {
            if (direct != null) {
                DirectIo.write(direct, blob, 0, FileEntry.CHUNK_SIZE, 0);
                return FileEntry.CHUNK_SIZE;
            }
        } catch (java.nio.channels.ClosedByInterruptException e) {
            throw e; // a cancelled download, not a refusal: O_DIRECT stays on
        } catch (IOException e) {
            // refused: the caller writes the whole blob through the page cache
        }
        directWrites = false;
        return 0;
    }

    /**
     * Makes the renames in these shard folders durable. In parallel: a big ingest touches all 256
     * shards, and concurrent fsyncs share the file system's journal commits.
     */
    void syncFolders(Collection<Path> folders) throws IOException {
        List<Path> list = List.copyOf(folders);
        try {
            ParallelChunks.run(list.size(), () -> i -> syncDir(list.get((int) i)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while syncing the blob folders");
        }
        if (list.contains(root)) {
            for (Path f : list) {
                if (root.equals(f.getParent())) shardsMade.add(f.getFileName().toString());
            }
        }
    }

    private void syncDir(Path folder) throws IOException {
        syncObserver.accept(folder);
        syncFolder(folder);
    }

    static void syncFolder(Path folder) throws IOException {
        try (FileChannel ch = FileChannel.open(folder, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Reads and verifies blob {@code id}. */
    public byte[] read(String id) throws IOException {
        byte[] buf = new byte[Blob.BLOB_SIZE];
        read(id, buf, Hashes.sha256());
        return buf;
    }

    /** Reads and verifies blob {@code id} into {@code into[0, BLOB_SIZE)} (see the three-argument form). */
    public void read(String id, byte[] into) throws IOException {
        read(id, into, Hashes.sha256());
    }

    /**
     * Reads blob {@code id} into {@code into[0, BLOB_SIZE)} and checks its hash. A missing blob
     * throws {@link MissingBlobException}; a corrupt one is quarantined and throws
     * {@link CorruptBlobException}; either way {@code into} must not be used.
     */
    public void read(String id, byte[] into, MessageDigest sha256) throws IOException {
        Path p = path(id);
        if (into.length < Blob.BLOB_SIZE) throw new IllegalArgumentException("buffer smaller than a blob");
        for (int attempt = 1; ; attempt++) {
            Object readKey;
            String problem = null;
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                readKey = fileKey(p); // the file just opened, unless renamed over since: the move checks again
                long size = ch.size();
                if (size != Blob.BLOB_SIZE) {
                    problem = "is " + size + " bytes, not " + Blob.BLOB_SIZE;
                } else {
                    ByteBuffer b = ByteBuffer.wrap(into, 0, Blob.BLOB_SIZE);
                    while (b.hasRemaining() && problem == null) {
                        if (ch.read(b) < 0) problem = "shrank while being read";
                    }
                }
            } catch (NoSuchFileException e) {
                throw new MissingBlobException(id, "blob " + id + " is not in the store (" + root + ")");
            }
            if (problem == null) {
                String actual = Blob.id(into, sha256);
                if (actual.equals(id)) return;
                problem = "hashes to " + actual;
            }
            CorruptBlobException corrupt = quarantine(id, p, readKey, problem);
            if (corrupt != null) throw corrupt;
            // A concurrent put renamed another copy into place since the read: read that one.
            if (attempt == READ_ATTEMPTS) {
                throw new CorruptBlobException(id, null, "blob " + id + " was replaced " + attempt + " times while being read (last copy read " + problem + ")");
            }
        }
    }

    /**
     * Reads blob {@code id} into {@code into[0, BLOB_SIZE)} without hashing it, for a reader that
     * authenticates the bytes itself (reassembly: the tag under the entry's key at the blob's
     * index, which no corruption passes) and, when that fails, calls {@link #read(String, byte[],
     * MessageDigest)}, which tells a corrupt copy (quarantined) from a good one. The put that
     * named the file hashed it; this returns false when the file is not a blob's length.
     */
    boolean readUnhashed(String id, byte[] into) throws IOException {
        if (into.length < Blob.BLOB_SIZE) throw new IllegalArgumentException("buffer smaller than a blob");
        if (recent.copy(id, into)) return true;
        try (FileChannel ch = FileChannel.open(path(id), StandardOpenOption.READ)) {
            if (ch.size() != Blob.BLOB_SIZE) return false;
            ByteBuffer b = ByteBuffer.wrap(into, 0, Blob.BLOB_SIZE);
            while (b.hasRemaining()) {
                if (ch.read(b) < 0) return false;
            }
            return true;
        } catch (NoSuchFileException e) {
            throw new MissingBlobException(id, "blob " + id + " is not in the store (" + root + ")");
        }
    }

    /**
     * Moves the copy of {@code id} that was read (file key {@code readKey}) to quarantine. A put
     * may have renamed a good copy to the same path since the read; quarantine must not move that
     * one away: returns null, leaving (or putting back) the copy at the path, when the file there
     * is not the one read or, once moved, turns out to be a good blob.
     */
    private CorruptBlobException quarantine(String id, Path file, Object readKey, String reason) throws IOException {
        quarantineHook.accept("check");
        Object now;
        try {
            now = fileKey(file);
        } catch (NoSuchFileException e) {
            return corrupt(id, null, reason); // another reader quarantined it first
        }
        if (readKey != null && now != null && !readKey.equals(now)) return null;
        try {
            OwnedFolder.ensure(quarantine);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            throw new IOException("cannot quarantine blob " + id + ": " + e.getMessage(), e);
        }
        Path to = quarantine.resolve(id + "." + System.currentTimeMillis() + "-" + HexFormat.of().toHexDigits(RANDOM.nextInt()));
        quarantineHook.accept("move");
        try {
            Files.move(file, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException alreadyMoved) {
            return corrupt(id, null, reason);
        }
        // Between the check and the move a put may still have renamed a good copy into place:
        // what was moved must be a bad blob, else it goes back (a put's copy is always good, so
        // replacing whatever is at the path now loses nothing).
        if (isGood(to, id)) {
            Files.move(to, file, StandardCopyOption.ATOMIC_MOVE);
            return null;
        }
        return corrupt(id, to, reason);
    }

    private static CorruptBlobException corrupt(String id, Path to, String reason) {
        String message = "blob " + id + " is corrupt (" + reason + ")" + (to == null ? "" : ", moved to " + to);
        LOG.log(System.Logger.Level.INFO, message); // the caller reports it (exception or verify report)
        return new CorruptBlobException(id, to, message);
    }

    /** Whether {@code file} holds exactly blob {@code id}. */
    private static boolean isGood(Path file, String id) throws IOException {
        byte[] bytes;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() != Blob.BLOB_SIZE) return false;
            bytes = new byte[Blob.BLOB_SIZE];
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                if (ch.read(b) < 0) return false;
            }
        }
        return Blob.id(bytes, Hashes.sha256()).equals(id);
    }

    /** The file system's identity of the file at {@code file} (null where it has none). */
    private static Object fileKey(Path file) throws IOException {
        return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    /**
     * Removes blob {@code id} from the store (garbage collection); returns whether it was there.
     * A reader that has it open keeps reading the old file; a later {@link #has} is false.
     */
    public boolean delete(String id) throws IOException {
        recent.forget(id);
        return Files.deleteIfExists(path(id));
    }

    /** Ids of every blob in the store, sorted. */
    public List<String> list() throws IOException {
        List<String> ids = new ArrayList<>();
        for (Path shard : shards()) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
                for (Path f : files) {
                    String name = f.getFileName().toString();
                    if (FileEntry.isBlobId(name) && name.startsWith(shard.getFileName().toString())) ids.add(name);
                }
            }
        }
        Collections.sort(ids);
        return ids;
    }

    /** A corrupt blob found by {@link #verifyAll()}. */
    public record Corrupt(String id, Path quarantinedTo, String reason) {}

    /**
     * What {@link #verifyAll()} found: blobs checked, corrupt ones (now quarantined), temporary
     * files of dead writers removed, and files that do not belong in the store (left alone).
     */
    public record VerifyReport(long checked, List<Corrupt> corrupt, int temporariesRemoved, List<Path> unexpected) {
        public boolean ok() {
            return corrupt.isEmpty();
        }
    }

    /**
     * Checks every blob (in parallel), quarantining the corrupt ones, and removes temporary files
     * left by writers that are no longer running (a crash or kill mid-write).
     */
    public VerifyReport verifyAll() throws IOException, InterruptedException {
        List<Corrupt> corrupt = Collections.synchronizedList(new ArrayList<>());
        List<Path> unexpected = new ArrayList<>();
        long checked = 0;
        int removed = 0;
        for (Path shard : shards()) {
            String prefix = shard.getFileName().toString();
            List<String> ids = new ArrayList<>();
            try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
                for (Path f : files) {
                    String name = f.getFileName().toString();
                    if (FileEntry.isBlobId(name) && name.startsWith(prefix) && Files.isRegularFile(f)) {
                        ids.add(name);
                    } else if (isTemporary(name)) {
                        if (!writerAlive(name) && Files.deleteIfExists(f)) removed++;
                    } else {
                        unexpected.add(f);
                    }
                }
            }
            ParallelChunks.run(ids.size(), () -> {
                byte[] buf = new byte[Blob.BLOB_SIZE];
                MessageDigest sha = Hashes.sha256();
                return i -> {
                    String id = ids.get((int) i);
                    try {
                        read(id, buf, sha);
                    } catch (CorruptBlobException e) {
                        corrupt.add(new Corrupt(id, e.quarantinedTo(), e.getMessage()));
                    } catch (MissingBlobException e) {
                        // removed meanwhile (quarantined by a concurrent reader): not ours to report
                    }
                };
            });
            checked += ids.size();
        }
        List<Corrupt> sorted = new ArrayList<>(corrupt);
        sorted.sort((a, b) -> a.id().compareTo(b.id()));
        return new VerifyReport(checked, List.copyOf(sorted), removed, List.copyOf(unexpected));
    }

    private List<Path> shards() throws IOException {
        List<Path> shards = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
            for (Path d : dirs) {
                String name = d.getFileName().toString();
                if (name.length() == 2 && FileEntry.isBlobId(name + "0".repeat(62)) && Files.isDirectory(d)) shards.add(d);
            }
        }
        Collections.sort(shards);
        return shards;
    }

    static boolean isTemporary(String name) {
        return name.startsWith(".") && name.endsWith(TEMP_SUFFIX);
    }

    /** Whether the process named in a temporary file's name still runs (it may still be writing). */
    static boolean writerAlive(String tempName) {
        String[] parts = tempName.split("\\.");
        // "", id, "pid-random", "tmp"
        if (parts.length != 4) return false;
        int dash = parts[2].indexOf('-');
        try {
            long pid = Long.parseLong(dash < 0 ? parts[2] : parts[2].substring(0, dash));
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static void requireId(String id) {
        if (!FileEntry.isBlobId(id)) throw new IllegalArgumentException("not a blob id (64 lowercase hex digits): " + id);
    }

    private static void requireLength(byte[] blob) throws IOException {
        if (blob.length != Blob.BLOB_SIZE) {
            throw new IOException("a blob is exactly " + Blob.BLOB_SIZE + " bytes, got " + blob.length);
        }
    }

}
