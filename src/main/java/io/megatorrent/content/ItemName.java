package io.megatorrent.content;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Rules for the names a manifest carries (item names and collection names). They come from
 * whoever signed the manifest and are untrusted: a name is a relative path of '/'-separated
 * components that, once checked, can only ever land inside the folder a subscriber chose.
 * PROTOCOL_FINAL.md 6.4.3 states the same rules.
 */
public final class ItemName {
    /** Longest name, in UTF-8 bytes, separators included. */
    public static final int MAX_NAME_BYTES = 1024;
    /** Longest component, in UTF-8 bytes: NAME_MAX of ext4, XFS, btrfs, APFS. */
    public static final int MAX_COMPONENT_BYTES = 255;
    /** Most components in one name (folder depth + 1). */
    public static final int MAX_COMPONENTS = 32;
    public static final char SEPARATOR = '/';

    private ItemName() {}

    /**
     * Characters that change how a name is shown without showing themselves (PROTOCOL_FINAL.md
     * 6.4.3): U+202E makes "invoice\u202Efdp.exe" read as "invoiceexe.pdf". A fixed list, so
     * every implementation refuses the same names whatever its Unicode version: soft hyphen
     * U+00AD, Arabic letter mark U+061C, Mongolian vowel separator U+180E, U+200B-U+200F
     * (zero-width space, non-joiner, joiner, LRM, RLM), U+202A-U+202E (embeddings and
     * overrides), U+2060-U+206F (word joiner, invisible operators, isolates, deprecated format
     * controls), U+FEFF (zero-width no-break space), U+FFF9-U+FFFB (interlinear annotation) and
     * the tags U+E0000-U+E007F.
     */
    public static boolean isInvisibleFormat(int cp) {
        return cp == 0x00AD || cp == 0x061C || cp == 0x180E
                || (cp >= 0x200B && cp <= 0x200F)
                || (cp >= 0x202A && cp <= 0x202E)
                || (cp >= 0x2060 && cp <= 0x206F)
                || cp == 0xFEFF
                || (cp >= 0xFFF9 && cp <= 0xFFFB)
                || (cp >= 0xE0000 && cp <= 0xE007F);
    }

    /**
     * Checks one name; the exception names {@code field} and says what is wrong.
     * Rejected: empty names and components ("a//b", "/a", "a/"), "." and "..", backslashes,
     * C0/C1 control characters and DEL (so NUL), invisible format characters (bidirectional
     * controls such as U+202E, zero-width characters: {@link #isInvisibleFormat}), unpaired surrogates, names or components
     * over the limits above, and the component {@value Reassembly#TEMP_FOLDER} in any case (where
     * a writer keeps its temporaries: no item may land there).
     */
    public static void check(String name, String field) throws ManifestException {
        if (name.isEmpty()) throw new ManifestException(field, "name is empty");
        if (name.charAt(0) == SEPARATOR) throw new ManifestException(field, "absolute path (starts with '/')");
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == 0) throw new ManifestException(field, "contains NUL at char " + i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f)) {
                throw new ManifestException(field, String.format("contains control character U+%04X at char %d", (int) c, i));
            }
            if (c == '\\') throw new ManifestException(field, "contains a backslash at char " + i);
            int cp = name.codePointAt(i);
            if (isInvisibleFormat(cp)) {
                throw new ManifestException(field, String.format("contains invisible format character U+%04X at char %d"
                        + " (bidirectional controls and zero-width characters can disguise a name)", cp, i));
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= name.length() || !Character.isLowSurrogate(name.charAt(i + 1))) {
                    throw new ManifestException(field, "unpaired surrogate at char " + i);
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                throw new ManifestException(field, "unpaired surrogate at char " + i);
            }
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_NAME_BYTES) throw new ManifestException(field, "name is " + bytes + " bytes, limit " + MAX_NAME_BYTES);
        List<String> components = components(name);
        if (components.size() > MAX_COMPONENTS) {
            throw new ManifestException(field, "name has " + components.size() + " components, limit " + MAX_COMPONENTS);
        }
        for (String c : components) {
            if (c.isEmpty()) throw new ManifestException(field, "empty path component (\"//\" or trailing '/')");
            if (c.equals("..")) throw new ManifestException(field, "path component '..'");
            if (c.equals(".")) throw new ManifestException(field, "path component '.'");
            if (c.equalsIgnoreCase(Reassembly.TEMP_FOLDER)) {
                throw new ManifestException(field, "path component '" + c + "' is reserved for temporary files");
            }
            int cb = c.getBytes(StandardCharsets.UTF_8).length;
            if (cb > MAX_COMPONENT_BYTES) {
                throw new ManifestException(field, "path component is " + cb + " bytes, limit " + MAX_COMPONENT_BYTES);
            }
        }
    }

    /**
     * Checks that names within one collection (or the collection names of one manifest) neither
     * repeat nor collide as file and folder ("a" and "a/b"). {@code fieldOf.apply(i)} names entry i.
     */
    static void checkDistinct(List<String> names, java.util.function.IntFunction<String> fieldOf) throws ManifestException {
        Set<String> files = new HashSet<>();
        Set<String> folders = new HashSet<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            if (files.contains(name)) throw new ManifestException(fieldOf.apply(i), "duplicate name '" + name + "'");
            if (folders.contains(name)) throw new ManifestException(fieldOf.apply(i), "'" + name + "' is also a folder of another name");
            for (int at = name.indexOf(SEPARATOR); at >= 0; at = name.indexOf(SEPARATOR, at + 1)) {
                String folder = name.substring(0, at);
                if (files.contains(folder)) {
                    throw new ManifestException(fieldOf.apply(i), "folder '" + folder + "' is also the name of another item");
                }
                folders.add(folder);
            }
            files.add(name);
        }
    }

    /**
     * Where {@code names} (e.g. a collection name then an item name) land under {@code folder}.
     * Each name is checked as above, each component must map to exactly one path element of the
     * folder's file system, and the result is checked to lie strictly inside the normalized
     * folder, so no name can escape it. Symbolic links already inside the folder are the
     * caller's concern: write with {@code LinkOption.NOFOLLOW_LINKS} / {@code CREATE_NEW}.
     */
    public static Path resolveUnder(Path folder, String... names) throws ManifestException {
        Path base = folder.toAbsolutePath().normalize();
        FileSystem fs = base.getFileSystem();
        Path p = base;
        for (int n = 0; n < names.length; n++) {
            String field = "name[" + n + "]";
            check(names[n], field);
            for (String c : components(names[n])) {
                Path element;
                try {
                    element = fs.getPath(c);
                } catch (InvalidPathException e) {
                    throw new ManifestException(field, "component '" + c + "' is not a valid file name here: " + e.getReason());
                }
                if (element.isAbsolute() || element.getRoot() != null || element.getNameCount() != 1
                        || !element.getFileName().toString().equals(c)) {
                    throw new ManifestException(field, "component '" + c + "' is not a single file name on this system");
                }
                p = p.resolve(element);
            }
        }
        Path normalized = p.normalize();
        if (!normalized.startsWith(base) || normalized.equals(base) || !normalized.equals(p)) {
            throw new ManifestException("name", "resolves outside " + base);
        }
        return p;
    }

    private static List<String> components(String name) {
        return List.of(name.split("/", -1));
    }
}
