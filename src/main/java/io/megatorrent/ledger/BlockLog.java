package io.megatorrent.ledger;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * An append-only file of 208-byte blocks. A durable append is forced to disk before
 * {@link #append} returns, so an own block is never sent before it is durable. A crash can leave only
 * the last record torn (short, or not a block): {@link #open} cuts it off and keeps the rest.
 * A bad record anywhere else is refused, never silently dropped.
 */
final class BlockLog implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(BlockLog.class.getName());
    private final FileChannel channel;
    private final Path file;

    private BlockLog(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** Reads the blocks of a log without opening it for writing (a node may be appending): a torn last record is skipped, not cut. */
    static List<Block> read(Path file) throws IOException {
        List<Block> out = new ArrayList<>();
        if (!Files.exists(file)) return out;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            load(file, ch, out, false);
        }
        return out;
    }

    /** Opens (creating) the log; {@code into} receives every block it holds, in order. */
    static BlockLog open(Path file, List<Block> into) throws IOException {
        Files.createDirectories(file.getParent());
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            load(file, ch, into, true);
            return new BlockLog(file, ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static void load(Path file, FileChannel ch, List<Block> into, boolean repair) throws IOException {
        long size = ch.size();
        long whole = size / Block.LENGTH;
        List<Block> blocks = new ArrayList<>();
        ByteBuffer buf = ByteBuffer.allocate(Block.LENGTH);
        long keep = 0;
        for (long i = 0; i < whole; i++) {
            buf.clear();
            while (buf.hasRemaining()) {
                if (ch.read(buf, i * Block.LENGTH + buf.position()) < 0) throw new IOException(file + " shrank while being read");
            }
            try {
                Block b = Block.decode(buf.array().clone());
                if (!b.signatureValid()) throw new LedgerException("signature", 144, "does not verify");
                blocks.add(b);
                keep = (i + 1) * Block.LENGTH;
            } catch (LedgerException e) {
                if (i != whole - 1) throw new IOException(file + ": record " + i + " of " + whole + " is not a valid block (" + e.getMessage() + ")");
                if (repair) LOG.log(Level.WARNING, "{0}: dropping a torn last record ({1})", file, e.getMessage());
            }
        }
        if (keep != size && repair) {
            if (size != whole * Block.LENGTH) LOG.log(Level.WARNING, "{0}: dropping {1} bytes of a torn append", file, size - whole * Block.LENGTH);
            ch.truncate(keep);
            ch.force(true);
        }
        into.addAll(blocks);
    }

    /** Appends, and with {@code durable} forces it to disk before returning. */
    synchronized void append(Block block, boolean durable) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(block.encode());
        long at = channel.size();
        while (buf.hasRemaining()) channel.write(buf, at + buf.position());
        if (durable) channel.force(false);
    }

    Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
