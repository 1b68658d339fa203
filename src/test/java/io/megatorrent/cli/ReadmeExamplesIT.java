package io.megatorrent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.testing.Peers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the README's examples as written, so the README cannot drift from the program: every
 * {@code sh} block under the "### Examples" heading (up to the next heading), line by line, in
 * one bash session in a scratch folder whose {@code target/image} is the image the build made.
 *
 * <p>What a README example may use:
 * <ul>
 *   <li>one command per line (a line ending in {@code \} continues on the next); lines that are
 *       only a comment are skipped; every command must exit 0;
 *   <li>a command ending in {@code &} runs in the background: its output goes to a file, the
 *       next line waits (up to 60 s) for its first line of output (a node prints its JSON line
 *       once listening), and it is stopped (by its PID) when the block ends;
 *   <li>{@code <FIELD printed above>}: the value of FIELD in the newest JSON object printed by an
 *       earlier line (foreground output, or a background command's output so far). No other
 *       {@code <...>} placeholder is allowed: the test fails naming it.
 * </ul>
 * No network beyond loopback: examples must bind 127.0.0.1 (a node without --bind and
 * --bootstrap would join the public DHT).
 */
class ReadmeExamplesIT {
    private static final String HEADING = "### Examples";
    private static final Pattern PLACEHOLDER = Pattern.compile("<([A-Za-z][^<>]*)>");
    private static final Pattern PRINTED_ABOVE = Pattern.compile("([A-Za-z0-9_]+) printed above");
    private static final String STATUS = "__README_EXAMPLE_STATUS__ ";
    private static final long LINE_TIMEOUT_SECONDS = 120;

    @TempDir
    Path scratch;

    /** The {@code sh} blocks under {@link #HEADING}, each as its commands (continuations joined, comment-only lines dropped). */
    static List<List<String>> exampleBlocks(String readme) {
        List<List<String>> blocks = new ArrayList<>();
        boolean inSection = false;
        List<String> block = null;
        StringBuilder pending = new StringBuilder();
        for (String line : readme.split("\n", -1)) {
            if (block == null && line.startsWith("#")) {
                inSection = line.strip().equals(HEADING) || (inSection && !line.matches("#{1,3} .*"));
                continue;
            }
            if (!inSection) continue;
            if (block == null) {
                if (line.strip().equals("```sh") || line.strip().equals("```bash")) block = new ArrayList<>();
                continue;
            }
            if (line.strip().equals("```")) {
                blocks.add(block);
                block = null;
                continue;
            }
            if (line.endsWith("\\")) {
                pending.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            String command = pending.append(line).toString();
            pending.setLength(0);
            if (command.isBlank() || command.strip().startsWith("#")) continue;
            block.add(command);
        }
        return blocks;
    }

    /** The part of a line before its comment (a # after whitespace, outside quotes). */
    static String withoutComment(String line) {
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return line.substring(0, i).stripTrailing();
            }
        }
        return line.stripTrailing();
    }

    @Test
    void parsesTheConventions() {
        String readme = String.join("\n", "## Other", "```sh", "not this", "```", HEADING, "text", "```sh", "a \\", "  b # c", "# only a comment", "",
                "x &", "```", "#### sub", "```sh", "y", "```", "## Next", "```sh", "not this either", "```");
        assertEquals(List.of(List.of("a    b # c", "x &"), List.of("y")), exampleBlocks(readme));
        assertEquals("echo '# kept' \"#\"", withoutComment("echo '# kept' \"#\" # dropped"));
        assertEquals("a#b", withoutComment("a#b"));
    }

    @Test
    void placeholdersComeFromTheNewestOutputThatHasTheField() throws Exception {
        List<JsonObject> printed = List.of(
                (JsonObject) Json.parse("{\"publicKey\":\"old\",\"port\":1}"), (JsonObject) Json.parse("{\"publicKey\":\"new\"}"));
        assertEquals("x --pubkey new -b 127.0.0.1:1", substitute("x --pubkey <publicKey printed above> -b 127.0.0.1:<port printed above>", "l", printed));
        assertEquals("cat > out.txt", substitute("cat > out.txt", "l", printed));
        org.junit.jupiter.api.Assertions.assertThrows(org.opentest4j.AssertionFailedError.class, () -> substitute("x <your key>", "l", printed));
        org.junit.jupiter.api.Assertions.assertThrows(org.opentest4j.AssertionFailedError.class, () -> substitute("x <uri printed above>", "l", printed));
    }

    @Test
    @Timeout(600)
    void everyExampleRunsAsWritten() throws Exception {
        Path project = Peers.projectDir();
        Path image = project.resolve("target/image");
        assertTrue(Files.isExecutable(image.resolve("bin/megatorrent")), "no image at " + image + ": run mvn package first");
        Files.createDirectories(scratch.resolve("target"));
        Files.createSymbolicLink(scratch.resolve("target/image"), image);
        List<List<String>> blocks = exampleBlocks(Files.readString(project.resolve("README.md")));
        assertFalse(blocks.isEmpty(), "no sh block under " + HEADING + " in README.md");
        int commands = 0;
        for (List<String> block : blocks) commands += runBlock(block);
        System.out.println("ReadmeExamplesIT: " + commands + " README example commands in " + blocks.size() + " block(s) ran as written");
    }

    /** Runs one block in one bash session; returns how many commands ran. */
    private int runBlock(List<String> block) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "--noprofile", "--norc", "-s").directory(scratch.toFile()).redirectErrorStream(true);
        pb.environment().remove("JAVA_HOME");
        Process bash = pb.start();
        List<JsonObject> printed = new ArrayList<>(); // newest last
        List<Background> background = new ArrayList<>();
        List<Long> pids = new ArrayList<>();
        try (Writer in = new OutputStreamWriter(bash.getOutputStream(), StandardCharsets.UTF_8);
             BufferedReader out = new BufferedReader(new InputStreamReader(bash.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line : block) {
                for (Background b : background) collect(b.output(), printed, b.seen);
                String command = substitute(withoutComment(line), line, printed);
                boolean inBackground = command.endsWith("&") && !command.endsWith("&&");
                if (inBackground) {
                    Path output = scratch.resolve("background-" + background.size() + ".out");
                    in.write(command.substring(0, command.length() - 1) + " > " + output + " 2>&1 < /dev/null &\n");
                    in.write("echo; echo \"" + STATUS + "$!\"\n");
                    in.flush();
                    String pid = readStatus(out, line, new StringBuilder());
                    pids.add(Long.parseLong(pid));
                    Background b = new Background(output, new int[1]);
                    background.add(b);
                    awaitFirstLine(b, line);
                    collect(b.output(), printed, b.seen);
                } else {
                    in.write(command + " < /dev/null\n");
                    in.write("readme_status=$?; echo; echo \"" + STATUS + "$readme_status\"\n");
                    in.flush();
                    StringBuilder text = new StringBuilder();
                    String status = readStatus(out, line, text);
                    if (!status.equals("0")) fail("README example exited " + status + ": " + line + "\n" + text);
                    for (String l : text.toString().split("\n")) addJson(l, printed);
                }
            }
            in.write("exit 0\n");
            in.flush();
        } finally {
            for (long pid : pids) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            for (long pid : pids) {
                ProcessHandle.of(pid).ifPresent(p -> {
                    try {
                        p.onExit().get(20, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        p.destroyForcibly();
                    }
                });
            }
            if (!bash.waitFor(20, TimeUnit.SECONDS)) bash.destroyForcibly();
        }
        return block.size();
    }

    private record Background(Path output, int[] seen) {}

    /** Replaces each {@code <FIELD printed above>}; any other placeholder fails the test. */
    private static String substitute(String command, String line, List<JsonObject> printed) throws CodecException {
        Matcher m = PLACEHOLDER.matcher(command);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            Matcher field = PRINTED_ABOVE.matcher(m.group(1));
            if (!field.matches()) fail("README example has a placeholder this test does not know, <" + m.group(1) + ">: " + line);
            String value = null;
            for (int i = printed.size() - 1; i >= 0 && value == null; i--) {
                var v = printed.get(i).get(field.group(1));
                if (v.isPresent()) value = scalar(v.get());
            }
            if (value == null) fail("README example needs \"" + field.group(1) + "\" printed above, but no earlier line printed it: " + line);
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static String scalar(JsonValue v) {
        return v instanceof JsonValue.JsonString s ? s.value() : Json.write(v);
    }

    private static String readStatus(BufferedReader out, String line, StringBuilder text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LINE_TIMEOUT_SECONDS);
        // a reader thread would outlive a hung command; readLine blocks, so poll ready() instead
        StringBuilder current = new StringBuilder();
        while (System.nanoTime() < deadline) {
            if (!out.ready()) {
                Thread.sleep(10);
                continue;
            }
            int c = out.read();
            if (c < 0) break;
            if (c != '\n') {
                current.append((char) c);
                continue;
            }
            String l = current.toString();
            current.setLength(0);
            if (l.startsWith(STATUS)) return l.substring(STATUS.length()).strip();
            text.append(l).append('\n');
        }
        fail("README example did not finish within " + LINE_TIMEOUT_SECONDS + " s: " + line + "\n" + text + current);
        return null;
    }

    private static void awaitFirstLine(Background b, String line) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (Files.exists(b.output()) && Files.readString(b.output()).contains("\n")) return;
            Thread.sleep(50);
        }
        fail("README background example printed no line within 60 s: " + line + "\n" + (Files.exists(b.output()) ? Files.readString(b.output()) : ""));
    }

    /** Adds the JSON objects among the complete lines of {@code file} not seen yet. */
    private static void collect(Path file, List<JsonObject> printed, int[] seen) throws IOException {
        if (!Files.exists(file)) return;
        String text = Files.readString(file);
        String[] lines = text.split("\n", -1);
        for (int i = seen[0]; i < lines.length - 1; i++) addJson(lines[i], printed);
        seen[0] = Math.max(seen[0], lines.length - 1);
    }

    private static void addJson(String line, List<JsonObject> printed) {
        String l = line.strip();
        if (!l.startsWith("{")) return;
        try {
            if (Json.parse(l) instanceof JsonObject o) printed.add(o);
        } catch (CodecException e) {
            // a log line that starts with a brace: not an output
        }
    }
}
