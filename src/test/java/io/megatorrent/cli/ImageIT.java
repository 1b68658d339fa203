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
import org.junit.jupiter.api.io.TempDir;

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
            total = files.filter(f -> Files.isRegularFile(f) && !unpackedAotCache(f)).mapToLong(f -> {
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
        Path aot = packedAotCache(image);
        System.out.printf("image size: %.1f MB (%d bytes; modules %.1f MB, libjvm.so %.1f MB, BouncyCastle %.2f MB, AOT cache %s)%n", total / 1e6, total,
                Files.size(image.resolve("lib/modules")) / 1e6, Files.size(image.resolve("lib/server/libjvm.so")) / 1e6, Files.size(bc) / 1e6,
                aot == null ? "none" : String.format("%.1f MB gzipped", Files.size(aot) / 1e6));
        assertTrue(total <= MAX_IMAGE_BYTES, "image is " + total + " bytes, more than " + MAX_IMAGE_BYTES);
        // the trimmed jar, with the image's own java, as the image's launcher puts it on the class path
        String classpath = image.resolve("lib/megatorrent.jar") + java.io.File.pathSeparator + Peers.projectDir().resolve("target/test-classes");
        Run r = exec(List.of(image.resolve("bin/java").toString(), "-cp", classpath, ImageBouncyCastleCheck.class.getName()), Map.of());
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("ML-KEM-768 ok"), r.out());
    }

    /**
     * On JDK 25+ the build trains an AOT cache and the image carries it gzipped; the launcher
     * unpacks it on first start, beside it when the image is writable, else into the user's cache
     * folder, and uses it. With -XX:AOTMode=on (which refuses to start without a usable cache) a
     * copy of the image elsewhere, in a folder with a space in its name, still runs, and stdout
     * holds the command's output only (the JVM's messages go to stderr).
     */
    @Test
    void imageCarriesItsAotCacheAndStartsFromItWithNothingButOutputOnStdout(@TempDir Path tmp) throws Exception {
        Path image = Peers.projectDir().resolve("target/image");
        assumeAotCacheTrained(image);
        Path packed = packedAotCache(image);
        assertTrue(packed != null, "no lib/megatorrent-ID.aot.gz in the image: the build trains one on JDK 25+");
        String unpacked = packed.getFileName().toString().replaceFirst("\\.gz$", "");

        Path copy = tmp.resolve("image copy");
        copyImage(image, copy);
        assertTrue(!Files.exists(copy.resolve("lib").resolve(unpacked)));
        for (int start = 0; start < 2; start++) { // the first start unpacks, the second finds it
            Run r = versionWithAotModeOn(copy, Map.of(), false);
            assertTrue(r.out().contains(unpacked), "the AOT log went to stderr: " + r.out());
        }
        assertTrue(Files.size(copy.resolve("lib").resolve(unpacked)) > Files.size(packed));
        try (var left = Files.list(copy.resolve("lib"))) {
            assertEquals(List.of(), left.filter(f -> f.getFileName().toString().contains(".aot.")
                    && !f.getFileName().toString().endsWith(".gz")).toList(), "a temporary file was left");
        }
    }

    /**
     * An image the user cannot write to (installed by root, run by another user) unpacks its AOT
     * cache into $XDG_CACHE_HOME/megatorrent. Run as the user nobody (through runuser) when the
     * tests run as root, since root may write anywhere.
     */
    @Test
    void aReadOnlyImageUnpacksItsAotCacheIntoTheUsersCacheFolder(@TempDir Path tmp) throws Exception {
        Path image = Peers.projectDir().resolve("target/image");
        assumeAotCacheTrained(image);
        boolean root = "root".equals(System.getProperty("user.name"));
        org.junit.jupiter.api.Assumptions.assumeTrue(!root || Files.isExecutable(Path.of("/usr/sbin/runuser")) || Files.isExecutable(Path.of("/sbin/runuser")),
                "running as root and no runuser (Debian package util-linux) to start the image as another user");
        Path packed = packedAotCache(image);
        assertTrue(packed != null, "no lib/megatorrent-ID.aot.gz in the image");
        String unpacked = packed.getFileName().toString().replaceFirst("\\.gz$", "");
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path copy = tmp.resolve("installed");
        copyImage(image, copy);
        Path cache = Files.createDirectory(tmp.resolve("cache"));
        Files.setPosixFilePermissions(cache, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        if (!root) Files.setPosixFilePermissions(copy.resolve("lib"), java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            Run r = versionWithAotModeOn(copy, Map.of("XDG_CACHE_HOME", cache.toString()), root);
            assertTrue(r.out().contains(cache.resolve("megatorrent").resolve(unpacked).toString()), "the cache came from " + r.out());
            assertTrue(Files.isRegularFile(cache.resolve("megatorrent").resolve(unpacked)));
            assertTrue(!Files.exists(copy.resolve("lib").resolve(unpacked)), "the read-only image was written to");
        } finally {
            Files.setPosixFilePermissions(copy.resolve("lib"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    private static void assumeAotCacheTrained(Path image) throws IOException {
        String release = Files.readString(image.resolve("release"));
        Matcher v = Pattern.compile("JAVA_VERSION=\"(\\d+)").matcher(release);
        assertTrue(v.find(), release);
        org.junit.jupiter.api.Assumptions.assumeTrue(Integer.parseInt(v.group(1)) >= 25,
                "the image's runtime is older than JDK 25: it has no AOT cache to check");
        org.junit.jupiter.api.Assumptions.assumeTrue(!"false".equals(System.getProperty("aot.train")),
                "built with -Daot.train=false: no AOT cache in the image");
    }

    /** The gzipped AOT cache the build put into the image, or null. */
    static Path packedAotCache(Path image) throws IOException {
        try (var files = Files.list(image.resolve("lib"))) {
            return files.filter(f -> f.getFileName().toString().matches("megatorrent-[0-9a-f]{16}\\.aot\\.gz")).findFirst().orElse(null);
        }
    }

    /** A copy of the image as the build made it (without a cache a start of it has unpacked). */
    private static void copyImage(Path image, Path copy) throws IOException {
        try (var files = Files.walk(image)) {
            for (Path f : files.toList()) {
                if (unpackedAotCache(f)) continue;
                Path to = copy.resolve(image.relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(to);
                else Files.copy(f, to, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    /** A cache the launcher unpacked at run time: not part of what the build ships. */
    static boolean unpackedAotCache(Path f) {
        return f.getFileName().toString().matches("megatorrent-[0-9a-f]{16}\\.aot");
    }

    private static Run versionWithAotModeOn(Path image, Map<String, String> env, boolean asNobody) throws Exception {
        List<String> cmd = new ArrayList<>();
        if (asNobody) cmd.addAll(List.of("runuser", "-u", "nobody", "--", "env", "HOME=/nonexistent"));
        cmd.addAll(List.of(image.resolve("bin/megatorrent").toString(), "--version"));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        pb.environment().put("MEGATORRENT_JAVA_OPTS", "-XX:AOTMode=on -Xlog:aot=info:stderr");
        Process p = pb.start();
        var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err.get());
        assertTrue(out.matches("megatorrent 0\\.6\\.0 \\(protocol v6, Java [^\\n]+\\)\\n"), "stdout: " + out);
        return new Run(p.exitValue(), err.get());
    }

    /** Linked onto PATH (say /usr/local/bin/megatorrent), the launcher finds the image the link points to. */
    @Test
    void launcherRunsThroughASymlinkOnPath(@TempDir Path tmp) throws Exception {
        Path launcher = Peers.projectDir().resolve("target/image/bin/megatorrent");
        Path bin = Files.createDirectory(tmp.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("megatorrent"), launcher);
        Files.createSymbolicLink(bin.resolve("mt"), bin.resolve("megatorrent")); // a link to the link
        for (String name : List.of("megatorrent", "mt")) {
            Run r = exec(List.of("sh", "-c", name + " --version"), Map.of("PATH", bin + ":/usr/bin:/bin", "JAVA_HOME", "/nonexistent"));
            assertEquals(0, r.code(), r.out());
            assertTrue(r.out().startsWith("megatorrent 0.6.0 (protocol v6"), r.out());
        }
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
