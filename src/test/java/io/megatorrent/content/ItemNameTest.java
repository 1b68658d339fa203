package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ItemNameTest {
    @TempDir
    Path dir;

    private static String reject(String name) {
        return assertThrows(ManifestException.class, () -> ItemName.check(name, "n"), name).getMessage();
    }

    @Test
    void acceptsOrdinaryNames() throws Exception {
        for (String ok : List.of("a", "Season 1/e01.mkv", "é/日本語.txt", "..a", "a..", "a.b", ".hidden", "a b/c d", "🎵/x", "x:y")) {
            ItemName.check(ok, "n");
        }
    }

    @Test
    void rejectsEscapesAndControlCharacters() {
        assertTrue(reject("..").contains("'..'"));
        assertTrue(reject("../x").contains("'..'"));
        assertTrue(reject("a/../../b").contains("'..'"));
        assertTrue(reject("a/..").contains("'..'"));
        assertTrue(reject(".").contains("'.'"));
        assertTrue(reject("a/./b").contains("'.'"));
        assertTrue(reject("/etc/passwd").contains("absolute"));
        assertTrue(reject("a\\..\\b").contains("backslash"));
        assertTrue(reject("C:\\x").contains("backslash"));
        assertTrue(reject("a\u0000b").contains("NUL"));
        assertTrue(reject("a\nb").contains("control"));
        assertTrue(reject("a\u007fb").contains("control"));
        assertTrue(reject("a\u0085b").contains("control"));
        assertTrue(reject("a\u001b[31m").contains("control"));
        assertTrue(reject("a//b").contains("empty path component"));
        assertTrue(reject("a/").contains("empty path component"));
        assertTrue(reject("").contains("empty"));
        assertTrue(reject("a\ud800b").contains("surrogate"));
        assertTrue(reject("a\udc00").contains("surrogate"));
    }

    @Test
    void rejectsBidirectionalControlsAndZeroWidthCharacters() throws Exception {
        assertTrue(reject("invoice\u202Efdp.exe").contains("U+202E"), "right-to-left override");
        for (int cp : new int[] {0x00AD, 0x061C, 0x180E, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x202A, 0x202D, 0x2060, 0x2066, 0x2069, 0xFEFF, 0xFFF9, 0xE0001, 0xE007F}) {
            String name = "a" + Character.toString(cp) + "b";
            assertTrue(reject(name).contains("invisible format character"), Integer.toHexString(cp));
        }
        // visible neighbours stay allowed: Hebrew and Arabic text, emoji, the figure space
        for (String ok : List.of("שלום.txt", "مرحبا.txt", "🎵.flac", "a\u2007b", "a\u2070b")) ItemName.check(ok, "n");
    }

    @Test
    void rejectsOverLongNames() throws Exception {
        ItemName.check("x".repeat(ItemName.MAX_COMPONENT_BYTES), "n");
        assertTrue(reject("x".repeat(ItemName.MAX_COMPONENT_BYTES + 1)).contains("component"));
        // Bytes, not characters: 128 two-byte characters are 256 bytes.
        assertTrue(reject("é".repeat(128)).contains("256 bytes"));
        String deep = "d/".repeat(ItemName.MAX_COMPONENTS) + "f";
        assertTrue(reject(deep).contains("components"));
        String longName = ("y".repeat(200) + "/").repeat(5) + "y".repeat(30);
        assertTrue(reject(longName).contains("limit " + ItemName.MAX_NAME_BYTES));
    }

    @Test
    void duplicatesAndFileFolderClashes() {
        assertThrows(ManifestException.class, () -> ItemName.checkDistinct(List.of("a", "b", "a"), i -> "x"));
        assertThrows(ManifestException.class, () -> ItemName.checkDistinct(List.of("a/b", "a"), i -> "x"));
        assertThrows(ManifestException.class, () -> ItemName.checkDistinct(List.of("a", "a/b"), i -> "x"));
        assertThrows(ManifestException.class, () -> ItemName.checkDistinct(List.of("a/b/c", "a/b"), i -> "x"));
        var e = assertThrows(ManifestException.class, () -> ItemName.checkDistinct(List.of("a", "b", "b"), i -> "items[" + i + "]"));
        assertEquals("items[2]", e.field());
    }

    @Test
    void distinctNamesPass() throws Exception {
        ItemName.checkDistinct(List.of("a/b", "a/c", "ab", "a b/c"), i -> "x");
    }

    @Test
    void resolvesInsideTheFolder() throws Exception {
        Path p = ItemName.resolveUnder(dir, "Season 1", "extras/notes.txt");
        assertEquals(dir.toAbsolutePath().normalize().resolve("Season 1").resolve("extras").resolve("notes.txt"), p);
        assertThrows(ManifestException.class, () -> ItemName.resolveUnder(dir, "..", "x"));
        assertThrows(ManifestException.class, () -> ItemName.resolveUnder(dir, "ok", "../../x"));
        assertThrows(ManifestException.class, () -> ItemName.resolveUnder(dir, "ok", "/etc/passwd"));
    }

    /** Random names over a hostile alphabet: each is either rejected or lands strictly inside the folder. */
    @Test
    void noGeneratedNameEscapes() {
        String[] parts = {"..", ".", "/", "\\", "a", "b", " ", "\u0000", "~", ":", "%2e", "\u2024", "\uff0e", "C:", "\n"};
        Random r = new Random(5);
        Path base = dir.toAbsolutePath().normalize();
        int accepted = 0;
        for (int n = 0; n < 20_000; n++) {
            StringBuilder sb = new StringBuilder();
            int len = 1 + r.nextInt(8);
            for (int i = 0; i < len; i++) sb.append(parts[r.nextInt(parts.length)]);
            try {
                Path p = ItemName.resolveUnder(dir, "c", sb.toString());
                accepted++;
                assertTrue(p.normalize().startsWith(base.resolve("c")) && !p.normalize().equals(base.resolve("c")), sb.toString());
                assertEquals(p, p.normalize(), sb.toString());
            } catch (ManifestException expected) {
                // rejected: fine
            }
        }
        assertTrue(accepted > 1000, "the generator should also produce acceptable names, got " + accepted);
    }
}
