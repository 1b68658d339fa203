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

    /** The image's size is printed by every verify run; at most 50 MB (issue 17). */
    static final long MAX_IMAGE_BYTES = 50L * 1000 * 1000;

    @Test
    void imageIsAtMost50MegabytesAndItsBouncyCastleHasWhatTheNodeUses() throws Exception {
        Path image = Peers.projectDir().resolve("target/image");
        long total;
        try (var files = Files.walk(image)) {
            total = files.filter(Files::isRegularFile).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).sum();
        }
        Path bc;
        try (var jars = Files.list(image.resolve("lib/lib"))) {
            bc = jars.filter(f -> f.getFileName().toString().startsWith("bcprov-")).findFirst().orElseThrow();
        }
        System.out.printf("image size: %.1f MB (%d bytes; modules %.1f MB, BouncyCastle %.2f MB)%n", total / 1e6, total,
                Files.size(image.resolve("lib/modules")) / 1e6, Files.size(bc) / 1e6);
        assertTrue(total <= MAX_IMAGE_BYTES, "image is " + total + " bytes, more than " + MAX_IMAGE_BYTES);
        // the trimmed jar, with the image's own java, as the image's launcher puts it on the class path
        String classpath = image.resolve("lib/megatorrent.jar") + java.io.File.pathSeparator + Peers.projectDir().resolve("target/test-classes");
        Run r = exec(List.of(image.resolve("bin/java").toString(), "-cp", classpath, ImageBouncyCastleCheck.class.getName()), Map.of());
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("ML-KEM-768 ok"), r.out());
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
        org.junit.jupiter.api.Assumptions.assumeTrue(aot && Files.exists(image.resolve("lib/megatorrent.aot")),
                "no AOT cache in the image: build with -Daot.train=true on JDK 25+ (mvn -Daot.train=true package) to train one");
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

    /**
     * Under a Java older than 21 (Debian's default java may be 17) the jar says so in one line and
     * exits 2, instead of an UnsupportedClassVersionError. Skipped (not failed, even in CI: newer
     * Debian releases carry no Java older than 21) when no such runtime is installed.
     */
    @Test
    void jarUnderAnOlderJavaSaysWhichJavaIsNeeded() throws Exception {
        Path old = olderJava();
        org.junit.jupiter.api.Assumptions.assumeTrue(old != null,
                "no Java older than 21 under /usr/lib/jvm (Debian package openjdk-17-jre-headless): the launcher's version check is not run");
        Path jar = Peers.projectDir().resolve("target/megatorrent.jar");
        for (String arg : List.of("--help", "--version", "demo")) {
            Run r = exec(List.of(old.toString(), "-jar", jar.toString(), arg), Map.of());
            assertEquals(2, r.code(), r.out());
            List<String> lines = r.out().strip().lines().toList();
            assertEquals(1, lines.size(), r.out());
            String line = lines.get(0);
            assertTrue(line.startsWith("megatorrent needs Java 21 or later, but this is Java "), line);
            assertTrue(line.contains("target/image/bin/megatorrent") && line.contains("needs no Java installed"), line);
            assertTrue(!line.contains("UnsupportedClassVersionError"), line);
        }
    }

    /** The java of a runtime older than 21 under /usr/lib/jvm (17 first, Debian's default of old), or null. */
    private static Path olderJava() throws IOException {
        Path jvm = Path.of("/usr/lib/jvm");
        Path preferred = jvm.resolve("java-17-openjdk-amd64/bin/java");
        if (Files.isExecutable(preferred)) return preferred;
        if (!Files.isDirectory(jvm)) return null;
        try (var dirs = Files.list(jvm)) {
            return dirs.filter(d -> d.getFileName().toString().matches("java-(1\\.8\\.0|8|11|17)-openjdk-.*"))
                    .map(d -> d.resolve("bin/java")).filter(Files::isExecutable).findFirst().orElse(null);
        }
    }
}
