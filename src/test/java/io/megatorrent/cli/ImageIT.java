package io.megatorrent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.testing.Peers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Runs what `mvn package` made, as a user would: the jlink image (with no Java on PATH) and the jar. */
class ImageIT {
    record Run(int code, String out) {}

    static Run exec(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(Peers.projectDir().toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "process did not finish: " + command);
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void imageRunsTheVectorsWithoutAnInstalledJava() throws Exception {
        Path launcher = Peers.projectDir().resolve("target/image/bin/megatorrent");
        assertTrue(Files.isExecutable(launcher), "no image at " + launcher);
        // PATH without any java, and no JAVA_HOME: the image must carry its own runtime
        Map<String, String> env = Map.of("PATH", "/usr/bin:/bin", "JAVA_HOME", "/nonexistent");
        Run r = exec(List.of(launcher.toString(), "conformance", "test-vectors"), env);
        assertEquals(0, r.code(), r.out());
        String last = r.out().strip().lines().reduce((a, b) -> b).orElseThrow();
        Matcher m = Pattern.compile("(\\d+) passed, 0 failed").matcher(last);
        assertTrue(m.matches(), last);
        assertTrue(Integer.parseInt(m.group(1)) >= 60, last);
        assertEquals(0, exec(List.of(launcher.toString(), "--version"), env).code());
    }

    /**
     * On JDK 25+ the build trains an AOT cache into the image and the launcher uses it: with
     * -XX:AOTMode=on (which refuses to start without a usable cache) the image still runs, from
     * a copy elsewhere too, and stdout holds the command's output only (the JVM's messages go
     * to stderr). On older JDKs there is no cache and nothing to check.
     */
    @Test
    void imageStartsFromItsAotCacheWithNothingButOutputOnStdout() throws Exception {
        Path image = Peers.projectDir().resolve("target/image");
        String release = Files.readString(image.resolve("release"));
        Matcher v = Pattern.compile("JAVA_VERSION=\"(\\d+)").matcher(release);
        assertTrue(v.find(), release);
        boolean aot = Integer.parseInt(v.group(1)) >= 25;
        assertEquals(aot, Files.exists(image.resolve("lib/megatorrent.aot")), "an AOT cache exactly when the image's JDK is 25+");
        if (!aot) return;
        ProcessBuilder pb = new ProcessBuilder(image.resolve("bin/megatorrent").toString(), "--version");
        pb.environment().put("MEGATORRENT_JAVA_OPTS", "-XX:AOTMode=on -Xlog:aot=info:stderr");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        assertTrue(out.matches("megatorrent 0\\.6\\.0 \\(protocol v6, Java [^\\n]+\\)\\n"), "stdout: " + out);
        assertTrue(err.contains("megatorrent.aot"), "the AOT log went to stderr: " + err);
    }

    @Test
    void jarRunsWithJavaDashJar() throws Exception {
        Path jar = Peers.projectDir().resolve("target/megatorrent.jar");
        List<String> cmd = new ArrayList<>(List.of(Peers.javaExecutable(), "-jar", jar.toString(), "--version"));
        Run r = exec(cmd, Map.of());
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("megatorrent 0.6.0"), r.out());
        Run unknown = exec(List.of(Peers.javaExecutable(), "-jar", jar.toString(), "nope"), Map.of());
        assertEquals(2, unknown.code(), unknown.out());
    }
}
