import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Build step (run by the pom with the JDK's source launcher, not part of the node): removes the
 * static symbol table ({@code .symtab} and the {@code .strtab} it names) from a 64-bit
 * little-endian ELF shared object, what {@code strip --strip-unneeded} does to it, without
 * needing binutils on the build machine.
 *
 * <p>Usage: {@code java StripSymbols.java FILE}, rewritten in place (through a temporary file and
 * a rename). The dynamic symbols ({@code .dynsym}) stay, so the library links and loads exactly
 * as before; only names of internal functions in crash logs and profilers are lost, and the
 * {@code .gnu_debuglink} and build id stay, so the JDK vendor's debug files still resolve them.
 * A file with no {@code .symtab} is left as it is. The step refuses (and the build fails) when a
 * section to remove is loaded at run time or lies inside a program segment.
 */
public class StripSymbols {
    private static final int SHT_SYMTAB = 2;
    private static final long SHF_ALLOC = 0x2;
    private static final long SHF_INFO_LINK = 0x40;
    private static final int SHDR = 64;

    record Section(int index, int name, int type, long flags, long addr, long offset, long size, int link, int info,
            long align, long entsize) {
        boolean hasBytes() {
            return type != 8; // SHT_NOBITS
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: java StripSymbols.java FILE");
            System.exit(2);
        }
        Path file = Path.of(args[0]);
        byte[] in = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN);
        if (in.length < 64 || b.getInt(0) != 0x464c457f || in[4] != 2 || in[5] != 1) {
            throw new IOException(file + ": not a 64-bit little-endian ELF file");
        }
        long shoff = b.getLong(0x28);
        long phoff = b.getLong(0x20);
        int phentsize = Short.toUnsignedInt(b.getShort(0x36));
        int phnum = Short.toUnsignedInt(b.getShort(0x38));
        int shentsize = Short.toUnsignedInt(b.getShort(0x3A));
        int shnum = Short.toUnsignedInt(b.getShort(0x3C));
        int shstrndx = Short.toUnsignedInt(b.getShort(0x3E));
        if (shentsize != SHDR || shnum == 0 || shoff + (long) shnum * SHDR > in.length) {
            throw new IOException(file + ": unexpected section header table");
        }
        List<Section> sections = new ArrayList<>();
        for (int i = 0; i < shnum; i++) {
            int o = Math.toIntExact(shoff + (long) i * SHDR);
            sections.add(new Section(i, b.getInt(o), b.getInt(o + 4), b.getLong(o + 8), b.getLong(o + 16), b.getLong(o + 24),
                    b.getLong(o + 32), b.getInt(o + 40), b.getInt(o + 44), b.getLong(o + 48), b.getLong(o + 56)));
        }
        boolean[] removed = new boolean[shnum];
        for (Section s : sections) {
            if (s.type() != SHT_SYMTAB) continue;
            removed[s.index()] = true;
            if (s.link() != shstrndx && s.link() > 0 && s.link() < shnum) removed[s.link()] = true;
        }
        long cut = Long.MAX_VALUE;
        for (Section s : sections) {
            if (!removed[s.index()]) continue;
            if ((s.flags() & SHF_ALLOC) != 0) throw new IOException(file + ": section " + s.index() + " to remove is loaded at run time");
            cut = Math.min(cut, s.offset());
        }
        if (cut == Long.MAX_VALUE) {
            System.out.println("StripSymbols: " + file.getFileName() + " has no .symtab, left as it is");
            return;
        }
        for (int i = 0; i < phnum; i++) {
            int o = Math.toIntExact(phoff + (long) i * phentsize);
            long end = b.getLong(o + 8) + b.getLong(o + 32); // p_offset + p_filesz
            if (b.getLong(o + 32) > 0 && end > cut) throw new IOException(file + ": program segment " + i + " reaches into the symbol table");
        }
        for (Section s : sections) {
            if (removed[s.index()]) continue;
            if (s.index() == 0 || !s.hasBytes() || s.offset() < cut) continue;
            if ((s.flags() & SHF_ALLOC) != 0) throw new IOException(file + ": loaded section " + s.index() + " lies after the symbol table");
        }
        for (Section s : sections) {
            if (removed[s.index()]) continue;
            if (s.link() != 0 && s.link() < shnum && removed[s.link()]) throw new IOException(file + ": section " + s.index() + " links to a removed section");
        }
        int[] newIndex = new int[shnum];
        int kept = 0;
        for (int i = 0; i < shnum; i++) newIndex[i] = removed[i] ? -1 : kept++;

        // the bytes before the symbol table stay where they are; what came after it moves down
        ByteBuffer out = ByteBuffer.allocate(in.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(in, 0, Math.toIntExact(cut));
        long[] newOffset = new long[shnum];
        List<Section> byOffset = sections.stream().filter(s -> !removed[s.index()])
                .sorted(Comparator.comparingLong(Section::offset)).toList();
        for (Section s : byOffset) {
            newOffset[s.index()] = s.offset();
            if (s.index() == 0 || !s.hasBytes() || s.offset() < cut) continue;
            long align = Math.max(1, s.align());
            while (out.position() % align != 0) out.put((byte) 0);
            newOffset[s.index()] = out.position();
            out.put(in, Math.toIntExact(s.offset()), Math.toIntExact(s.size()));
        }
        while (out.position() % 8 != 0) out.put((byte) 0);
        long newShoff = out.position();
        for (Section s : sections) {
            if (removed[s.index()]) continue;
            int info = (s.flags() & SHF_INFO_LINK) != 0 ? newIndex[s.info()] : s.info();
            out.putInt(s.name()).putInt(s.type()).putLong(s.flags()).putLong(s.addr()).putLong(newOffset[s.index()])
                    .putLong(s.size()).putInt(s.link() == 0 ? 0 : newIndex[s.link()]).putInt(info)
                    .putLong(s.align()).putLong(s.entsize());
        }
        int length = out.position();
        out.putLong(0x28, newShoff);
        out.putShort(0x3C, (short) kept);
        out.putShort(0x3E, (short) newIndex[shstrndx]);

        Path tmp = file.resolveSibling(file.getFileName() + ".strip-tmp");
        Files.write(tmp, java.util.Arrays.copyOf(out.array(), length));
        Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(file));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.printf("StripSymbols: %s: symbol table removed, %d KB instead of %d KB%n", file.getFileName(), length / 1000, in.length / 1000);
    }
}
