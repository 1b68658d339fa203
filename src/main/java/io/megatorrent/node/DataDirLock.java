package io.megatorrent.node;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The lock that makes one node the only user of a data folder: {@code DIR/lock}, held with
 * an OS file lock for as long as the node runs. The OS drops it when the process dies however
 * it dies (SIGKILL included), so a stale lock never needs cleaning up.
 */
public final class DataDirLock implements AutoCloseable {
    public static final String FILE = "lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock of {@code dataDir} (creating the folder, mode 0700), or returns null when another process holds it. */
    public static DataDirLock tryAcquire(Path dataDir) throws IOException {
        if (!Files.isDirectory(dataDir)) {
            Files.createDirectories(dataDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        FileChannel ch = FileChannel.open(dataDir.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock l = ch.tryLock();
            if (l == null) {
                ch.close();
                return null;
            }
            return new DataDirLock(ch, l);
        } catch (OverlappingFileLockException e) {
            ch.close();
            return null; // this process holds it already
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Whether a process holds the lock of {@code dataDir} now (a node is serving it). */
    public static boolean isHeld(Path dataDir) throws IOException {
        if (!Files.exists(dataDir.resolve(FILE))) return false;
        DataDirLock l = tryAcquire(dataDir);
        if (l == null) return true;
        l.close();
        return false;
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
