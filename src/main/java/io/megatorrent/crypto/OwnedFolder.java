package io.megatorrent.crypto;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;

/**
 * Folders the node keeps its files in (the data folder, the blob store's folders, quarantine,
 * reassembly's temporaries): a real folder, owned by the user running the node, that neither
 * group nor others may write to, since whoever can write there can swap what the node reads
 * back (a key, a blob, a temporary about to be linked into place). Created mode 0700.
 *
 * <p>Made for concurrent use: another thread or process may create or remove the same folder
 * at any moment, so nothing is decided on a check made earlier; a folder that vanished is made
 * again, and only something at the path that is not such a folder is an error.
 */
public final class OwnedFolder {
    /** Rounds of "made by someone else, then removed by someone else" before giving up. */
    private static final int ATTEMPTS = 1000;
    private static final Set<PosixFilePermission> OTHERS_WRITE = Set.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");

    private OwnedFolder() {}

    /**
     * Makes {@code folder} unless it exists; an existing one must be a folder we own
     * ({@link #check}). Its parent must exist.
     * @return true if this call made the folder (its parent then needs an fsync to keep it)
     * @throws NoSuchFileException if the parent does not exist
     */
    public static boolean ensure(Path folder) throws IOException {
        FileAttribute<?>[] attrs = attributes(folder);
        for (int attempt = 1; ; attempt++) {
            try {
                Files.createDirectory(folder, attrs);
                return true;
            } catch (FileAlreadyExistsException e) {
                try {
                    check(folder);
                    return false;
                } catch (NoSuchFileException vanished) {
                    // removed between the two calls (another user emptied and dropped it): again
                }
            }
            if (attempt == ATTEMPTS) {
                throw new IOException(folder + " was removed by someone else each of " + ATTEMPTS + " times it was made");
            }
        }
    }

    /** {@link #ensure}, making missing parents first (mode 0700; existing parents are not checked). */
    public static boolean ensureWithParents(Path folder) throws IOException {
        Path parent = folder.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) Files.createDirectories(parent, attributes(folder));
        return ensure(folder);
    }

    /**
     * Checks that {@code folder} is a folder (not a link to one) owned by the user running us, not
     * writable by group or others; throws an {@link IOException} saying what is wrong otherwise.
     * @throws NoSuchFileException if nothing is there
     */
    public static void check(Path folder) throws IOException {
        boolean posix = folder.getFileSystem().supportedFileAttributeViews().contains("posix");
        BasicFileAttributes basic = posix
                ? Files.readAttributes(folder, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                : Files.readAttributes(folder, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (basic.isSymbolicLink()) {
            throw new IOException(folder + " is a symbolic link, not a folder: megatorrent keeps its files only in a real folder (replace the link by the folder it points to)");
        }
        if (!basic.isDirectory()) throw new IOException(folder + " exists and is not a folder");
        if (!(basic instanceof PosixFileAttributes attrs)) return;
        UserPrincipal us = us(folder.getFileSystem());
        if (us != null && !us.equals(attrs.owner())) {
            throw new IOException(folder + " belongs to " + attrs.owner().getName() + ", not to " + us.getName()
                    + " who runs megatorrent: refusing to keep files in another user's folder");
        }
        if (attrs.permissions().stream().anyMatch(OTHERS_WRITE::contains)) {
            throw new IOException(folder + " may be written by others (mode " + PosixFilePermissions.toString(attrs.permissions())
                    + "), who could replace the files megatorrent keeps in it: run chmod go-w " + folder);
        }
    }

    /**
     * Checks that a regular file (a key file) belongs to the user running us, with the same
     * lookup as {@link #check}; null {@code owner} means the file system has no owners.
     */
    static void checkOwner(Path file, UserPrincipal owner) throws IOException {
        if (owner == null) return;
        UserPrincipal us = us(file.getFileSystem());
        if (us != null && !us.equals(owner)) {
            throw new IOException(file + " belongs to " + owner.getName() + ", not to " + us.getName() + " who runs megatorrent: refusing to use another user's key");
        }
    }

    private static FileAttribute<?>[] attributes(Path folder) {
        if (!folder.getFileSystem().supportedFileAttributeViews().contains("posix")) return new FileAttribute<?>[0];
        return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PRIVATE)};
    }

    private static volatile UserPrincipal self;

    /**
     * The user running this process, or null when it cannot be told (no user database entry and
     * no /proc): then ownership is not checked, the mode still is.
     */
    private static UserPrincipal us(FileSystem fs) {
        if (fs != java.nio.file.FileSystems.getDefault()) return null;
        UserPrincipal known = self;
        if (known != null) return known;
        UserPrincipal found = null;
        try {
            // the JDK sets user.name from the real uid's user database entry
            found = fs.getUserPrincipalLookupService().lookupPrincipalByName(System.getProperty("user.name"));
        } catch (IOException | UnsupportedOperationException e) {
            try {
                found = Files.getOwner(fs.getPath("/proc/self")); // Linux: the process's own uid
            } catch (IOException | UnsupportedOperationException none) {
                return null;
            }
        }
        self = found;
        return found;
    }
}
