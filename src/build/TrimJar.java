import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Build step (run by the pom with the JDK's source launcher, not part of the node): writes the
 * part of a library jar that the node can reach, for the jlink image.
 *
 * <p>Usage: {@code java TrimJar.java IN.jar OUT.jar CLASSES_DIR PACKAGE_PREFIX...}. The roots
 * are every class of IN.jar that a class file under CLASSES_DIR names, plus every class under
 * each PACKAGE_PREFIX (kept whole, e.g. for a fallback not used yet). From the roots it follows,
 * in each class file's constant pool, every class named (class entries, descriptors and
 * signatures, and dotted class names in string constants, which is how Class.forName finds
 * them), across the multi-release variants under META-INF/versions too. Signatures and
 * the module descriptor of IN.jar are dropped: the trimmed jar is used on the class path.
 */
public class TrimJar {
    private static final Pattern DESCRIPTOR = Pattern.compile("L([A-Za-z0-9_$/]+);");
    private static final Pattern DOTTED = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(?:\\.[A-Za-z_$][A-Za-z0-9_$]*)+");

    public static void main(String[] args) throws IOException {
        if (args.length < 3) throw new IllegalArgumentException("usage: TrimJar IN.jar OUT.jar CLASSES_DIR [PACKAGE_PREFIX...]");
        Path in = Path.of(args[0]);
        Path out = Path.of(args[1]);
        Path classes = Path.of(args[2]);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (JarFile jar = new JarFile(in.toFile(), false)) {
            for (JarEntry e : java.util.Collections.list(jar.entries())) {
                if (!e.isDirectory()) entries.put(e.getName(), jar.getInputStream(e).readAllBytes());
            }
        }
        Set<String> classNames = new HashSet<>(); // internal names present in IN.jar (base or versioned)
        for (String name : entries.keySet()) {
            String base = name.startsWith("META-INF/versions/") ? name.replaceFirst("^META-INF/versions/[0-9]+/", "") : name;
            if (base.endsWith(".class") && !base.endsWith("module-info.class")) classNames.add(base.substring(0, base.length() - 6));
        }
        Deque<String> todo = new ArrayDeque<>();
        Set<String> kept = new TreeSet<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                for (String ref : references(Files.readAllBytes(f))) if (classNames.contains(ref) && kept.add(ref)) todo.add(ref);
            }
        }
        for (int i = 3; i < args.length; i++) {
            for (String c : classNames) if (c.startsWith(args[i]) && kept.add(c)) todo.add(c);
        }
        while (!todo.isEmpty()) {
            String c = todo.poll();
            for (byte[] variant : variants(entries, c)) {
                for (String ref : references(variant)) if (classNames.contains(ref) && kept.add(ref)) todo.add(ref);
            }
        }
        Set<String> keptPackages = new HashSet<>();
        for (String c : kept) keptPackages.add(c.lastIndexOf('/') < 0 ? "" : c.substring(0, c.lastIndexOf('/')));
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MULTI_RELEASE, "true");
        manifest.getMainAttributes().put(new Attributes.Name("Created-By"), "megatorrent TrimJar from " + in.getFileName());
        Files.createDirectories(out.toAbsolutePath().getParent());
        int written = 0;
        try (OutputStream os = Files.newOutputStream(out); JarOutputStream jar = new JarOutputStream(os, manifest)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                String name = e.getKey();
                boolean keep;
                if (name.endsWith(".class")) {
                    String base = name.replaceFirst("^META-INF/versions/[0-9]+/", "");
                    keep = kept.contains(base.substring(0, base.length() - 6));
                } else {
                    // a resource stays with the classes of its package (data tables of an algorithm
                    // kept); signatures, the manifest and OSGi/module metadata go
                    int slash = name.lastIndexOf('/');
                    keep = !name.startsWith("META-INF/") && keptPackages.contains(slash < 0 ? "" : name.substring(0, slash));
                }
                if (!keep) continue;
                jar.putNextEntry(new JarEntry(name));
                jar.write(e.getValue());
                jar.closeEntry();
                written++;
            }
        }
        System.out.println("TrimJar: " + out.getFileName() + ": " + kept.size() + " of " + classNames.size() + " classes (" + written + " entries), "
                + Files.size(out) / 1024 + " KB instead of " + Files.size(in) / 1024 + " KB");
    }

    private static List<byte[]> variants(Map<String, byte[]> entries, String className) {
        List<byte[]> found = new java.util.ArrayList<>();
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            String name = e.getKey();
            if (name.equals(className + ".class") || (name.startsWith("META-INF/versions/") && name.endsWith("/" + className + ".class")
                    && name.replaceFirst("^META-INF/versions/[0-9]+/", "").equals(className + ".class"))) {
                found.add(e.getValue());
            }
        }
        return found;
    }

    /** Every class a class file names: class entries, descriptors, signatures, dotted names in strings. */
    static Set<String> references(byte[] classFile) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile));
        if (in.readInt() != 0xCAFEBABE) throw new IOException("not a class file");
        in.readUnsignedShort();
        in.readUnsignedShort();
        int count = in.readUnsignedShort();
        String[] utf8 = new String[count];
        int[] classIndex = new int[count];
        int[] stringIndex = new int[count];
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> utf8[i] = in.readUTF();
                case 7 -> classIndex[i] = in.readUnsignedShort();
                case 8 -> stringIndex[i] = in.readUnsignedShort();
                case 16, 19, 20 -> in.readUnsignedShort(); // MethodType (descriptor is a Utf8 scanned anyway), Module, Package
                case 3, 4 -> in.readInt();
                case 5, 6 -> {
                    in.readLong();
                    i++; // takes two slots
                }
                case 9, 10, 11, 12, 17, 18 -> in.readInt();
                case 15 -> {
                    in.readUnsignedByte();
                    in.readUnsignedShort();
                }
                default -> throw new IOException("unknown constant pool tag " + tag + " at " + i);
            }
        }
        Set<String> refs = new HashSet<>();
        for (int i = 1; i < count; i++) {
            if (classIndex[i] != 0) {
                String n = utf8[classIndex[i]];
                refs.add(n.startsWith("[") ? n.replaceAll("^\\[+L?", "").replaceAll(";$", "") : n);
            }
            if (utf8[i] != null) {
                Matcher d = DESCRIPTOR.matcher(utf8[i]);
                while (d.find()) refs.add(d.group(1));
            }
            if (stringIndex[i] != 0 && utf8[stringIndex[i]] != null) {
                Matcher m = DOTTED.matcher(utf8[stringIndex[i]]);
                while (m.find()) refs.add(m.group().replace('.', '/'));
            }
        }
        return refs;
    }
}
