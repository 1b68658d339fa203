package io.megatorrent.crypto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files that hold secret keys (channel identity, Noise static key, I2P destination): written
 * with mode 0600 from the moment they exist, complete or not at all (temporary file, fsync,
 * link or rename, fsync of the folder), and refused on read when others may access them.
 */
public final class SecretFile {
    private static final Set<PosixFilePermission> OWNER_ONLY = Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    private SecretFile() {}

    /**
     * Writes {@code content} to {@code file}. Without {@code overwrite}, an existing file is never
     * replaced, even by a racing writer: link(2) fails if the name exists.
     * @throws FileAlreadyExistsException if the file exists and {@code overwrite} is false
     */
    public static void write(Path file, byte[] content, boolean overwrite) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        // a folder others may write to would let them swap the key for theirs
        OwnedFolder.ensureWithParents(dir);
        if (!overwrite && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) throw new FileAlreadyExistsException(target.toString());
        FileAttribute<?>[] attrs = posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)} : new FileAttribute<?>[0];
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + "-", ".tmp", attrs);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) ch.write(buf);
                ch.force(true);
            }
            if (overwrite) {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                try {
                    Files.createLink(target, tmp);
                } catch (FileAlreadyExistsException e) {
                    throw e;
                } catch (UnsupportedOperationException | FileSystemException e) {
                    Files.move(tmp, target);
                }
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncDirectory(dir);
    }

    /**
     * Reads a secret file of at most {@code maxBytes}; refuses one that group or others may access
     * (as ssh does), since its key may already have leaked, one of another user, and a symbolic
     * link. The checks hold for the file that is read: it is opened (never through a link) after
     * them, and its identity (device, inode) is read again after reading and compared.
     */
    public static byte[] read(Path file, int maxBytes) throws IOException {
        boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
        Class<? extends BasicFileAttributes> kind = posix ? PosixFileAttributes.class : BasicFileAttributes.class;
        BasicFileAttributes before = Files.readAttributes(file, kind, LinkOption.NOFOLLOW_LINKS);
        if (before.isSymbolicLink()) throw new IOException(file + " holds a secret key but is a symbolic link: give the file itself");
        if (!before.isRegularFile()) throw new IOException(file + " holds a secret key but is not a regular file");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            if (before instanceof PosixFileAttributes attrs) {
                OwnedFolder.checkOwner(file, attrs.owner());
                Set<PosixFilePermission> perms = attrs.permissions();
                for (PosixFilePermission p : perms) {
                    if (!OWNER_ONLY.contains(p) && p != PosixFilePermission.OWNER_EXECUTE) {
                        throw new IOException(file + " holds a secret key but is accessible to others (mode "
                                + PosixFilePermissions.toString(perms) + "); run chmod 600 on it");
                    }
                }
            }
            // bounded whatever size the file claims: read one byte past the limit to tell
            ByteBuffer buf = ByteBuffer.allocate(maxBytes + 1);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // until full or end of file
            }
            if (buf.position() > maxBytes) throw new IOException(file + " is larger than a key file can be (" + maxBytes + " bytes)");
            BasicFileAttributes after = Files.readAttributes(file, kind, LinkOption.NOFOLLOW_LINKS);
            // opened by path after the checks: the file read must be the file checked
            if (before.fileKey() != null && !before.fileKey().equals(after.fileKey())) {
                throw new IOException(file + " was replaced while it was read; try again");
            }
            return java.util.Arrays.copyOf(buf.array(), buf.position());
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some systems cannot open or sync a folder; the file itself is already on disk.
        }
    }
}
