package io.megatorrent.cli;

import io.megatorrent.testing.Cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MainTest {

    static Cli.Result run(String... argv) {
        return Cli.run(argv);
    }

    @Test
    void helpListsCommandsAndExitCodes() {
        Cli.Result r = run("--help");
        assertEquals(0, r.code());
        for (Command c : Main.commands()) assertTrue(r.out().contains(c.name()), c.name());
        assertTrue(r.out().contains("Exit codes"), r.out());
    }

    @Test
    void everyCommandHasHelp() {
        for (Command c : Main.commands()) {
            Cli.Result r = run(c.name(), "--help");
            assertEquals(0, r.code(), c.name());
            assertTrue(r.out().startsWith("Usage: megatorrent " + c.name()), r.out());
            assertTrue(r.out().contains("Exit codes"), c.name());
        }
    }

    @Test
    void versionNamesTheProtocol() {
        Cli.Result r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("protocol v6"), r.out());
    }

    @Test
    void unknownCommandOrFlagIsOneLineAndExit2() {
        Cli.Result r = run("frobnicate");
        assertEquals(ExitCodes.USAGE, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        r = run("conformance", "--frob");
        assertEquals(ExitCodes.USAGE, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("--frob"), r.err());
        r = run("bench", "nothing");
        assertEquals(ExitCodes.USAGE, r.code());
    }

    @Test
    void argsParseLongShortAndInlineForms() throws UsageException {
        var opts = java.util.List.of(Args.Option.value("input", 'i', "FILE", "in"), Args.Option.flag("json", "json"),
                Args.Option.repeatable("bootstrap", "H:P", "b"));
        Args a = Args.parse(new String[] {"-i", "x", "--json", "--bootstrap=a:1", "--bootstrap", "b:2", "pos"}, opts);
        assertEquals("x", a.require("input"));
        assertTrue(a.has("json"));
        assertEquals(java.util.List.of("a:1", "b:2"), a.all("bootstrap"));
        assertEquals(java.util.List.of("pos"), a.positional());
        assertThrowsUsage(() -> Args.parse(new String[] {"-i"}, opts));
        assertThrowsUsage(() -> Args.parse(new String[] {"-i", "a", "-i", "b"}, opts));
        assertThrowsUsage(() -> Args.parse(new String[] {"--json=1"}, opts));
    }

    private static void assertThrowsUsage(org.junit.jupiter.api.function.Executable e) {
        org.junit.jupiter.api.Assertions.assertThrows(UsageException.class, e);
    }
}
