package io.megatorrent.content;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * O_DIRECT writes of whole blocks, past the page cache, for what a download writes and does not
 * read back soon: a downloaded blob's chunk and the file reassembled from it. A download writes
 * every byte twice (blob and file), and on the 2-core VM the kernel's copy into fresh page-cache
 * pages was half of a receiving node's CPU (perf); O_DIRECT moves those bytes without it
 * (README, bench transfer). Only whole aligned blocks go this way; callers write the rest, and
 * everything where the file system refuses O_DIRECT, through the page cache as before.
 */
public final class DirectIo {
    /** Alignment of buffer, position and length: a page, and a multiple of common block sizes. */
    public static final int ALIGNMENT = 4096;
    /** Aligned chunk-sized buffers kept for reuse (direct memory is slow to allocate and free). */
    private static final ArrayBlockingQueue<ByteBuffer> POOL = new ArrayBlockingQueue<>(8);

    private DirectIo() {}

    /**
     * Whether the file system holding {@code path} has blocks that {@link #ALIGNMENT} covers;
     * larger blocks (rare) are left to the page cache. Asked once per store or output file: the
     * JDK finds a path's file system by reading the mount table.
     */
    static boolean blocksFit(Path path) {
        try {
            long block = Files.getFileStore(path).getBlockSize();
            return block > 0 && block <= ALIGNMENT && ALIGNMENT % block == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** {@code file} opened for writing with O_DIRECT, or null where the file system refuses it; see {@link #blocksFit} first. */
    public static FileChannel open(Path file) {
        try {
            return FileChannel.open(file, StandardOpenOption.WRITE, com.sun.nio.file.ExtendedOpenOption.DIRECT);
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /** Whether {@code len} bytes at {@code position} are whole aligned blocks, as O_DIRECT needs. */
    static boolean aligned(long position, int len) {
        return len > 0 && len <= FileEntry.CHUNK_SIZE && len % ALIGNMENT == 0 && position % ALIGNMENT == 0;
    }

    /** Writes {@code src[off, off + len)} at {@code position} through {@code ch} (opened by {@link #open}); the range must be {@link #aligned}. */
    static void write(FileChannel ch, byte[] src, int off, int len, long position) throws IOException {
        if (!aligned(position, len)) throw new IllegalArgumentException("not whole aligned blocks: " + len + " bytes at " + position);
        ByteBuffer b = POOL.poll();
        if (b == null) b = ByteBuffer.allocateDirect(FileEntry.CHUNK_SIZE + ALIGNMENT).alignedSlice(ALIGNMENT);
        try {
            b.clear().put(src, off, len).flip();
            long at = position;
            while (b.hasRemaining()) at += ch.write(b, at);
        } finally {
            POOL.offer(b); // dropped when the pool is full
        }
    }
}
