package io.megatorrent.node;

import io.megatorrent.crypto.OwnedFolder;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;

/**
 * The newest pointer sequence accepted per channel, kept on disk under
 * {@code DIR/channels/<public key hex>.seq} (PROTOCOL_FINAL.md 6.6.4): a node that forgot it
 * on restart would take an older, validly signed pointer that hostile DHT nodes replay. Each
 * file holds the sequence in decimal ASCII and is replaced atomically (temp file, fsync,
 * rename), so a crash leaves the old value or the new one, never a torn one.
 */
final class ChannelSeqs {
    static final String FOLDER = "channels";
    static final String SUFFIX = ".seq";
    /** Longest file accepted: a signed 64-bit decimal and a newline. */
    static final int MAX_FILE_LENGTH = 21;

    private final Path folder;

    ChannelSeqs(Path dataDir) {
        this.folder = dataDir.resolve(FOLDER);
    }

    Path file(byte[] publicKey) {
        return folder.resolve(HexFormat.of().formatHex(publicKey) + SUFFIX);
    }

    /**
     * The newest sequence accepted for the channel, or -1 when none was.
     *
     * @throws IOException the file is unreadable or does not hold a sequence: refusing is safer
     *     than forgetting, which would let a replay through
     */
    synchronized long last(byte[] publicKey) throws IOException {
        Path f = file(publicKey);
        byte[] bytes;
        try {
            if (Files.size(f) > MAX_FILE_LENGTH) throw new IOException(f + ": longer than a sequence number (" + Files.size(f) + " bytes)");
            bytes = Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            return -1;
        }
        String text = new String(bytes, StandardCharsets.US_ASCII).strip();
        long seq;
        try {
            seq = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IOException(f + ": not a sequence number: \"" + text + "\"");
        }
        if (seq < 0) throw new IOException(f + ": negative sequence number " + seq);
        return seq;
    }

    /** Records {@code seq} as accepted unless a newer one already is. */
    synchronized void accept(byte[] publicKey, long seq) throws IOException {
        if (seq <= last(publicKey)) return;
        OwnedFolder.ensureWithParents(folder);
        Path f = file(publicKey);
        Path tmp = folder.resolve(f.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap((seq + "\n").getBytes(StandardCharsets.US_ASCII)));
            ch.force(true);
        }
        try {
            Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.deleteIfExists(tmp);
            throw new IOException("cannot replace " + f + " atomically: " + e.getMessage(), e);
        }
        try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
            dir.force(true); // the rename itself survives a crash
        } catch (IOException e) {
            // some file systems cannot open a folder for fsync: the rename is still atomic
        }
    }
}
