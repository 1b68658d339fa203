package io.megatorrent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.codec.JsonValue.JsonString;
import io.megatorrent.testing.Cli;
import io.megatorrent.testing.Peers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page in a real browser: headless Chromium (Debian's chromium) driven over the DevTools
 * protocol opens the {@code ui} link of a serve node, subscribes through the form to a channel
 * another serve node publishes, sees the download reach 100% and plays the channel's WAV through
 * the stream route. Leaves a screenshot at target/browser-ui.png.
 */
@Timeout(300)
class BrowserTest {
    static final String CHROMIUM = "chromium";

    @Test
    void subscribeThroughTheFormAndPlayTheChannelsWav(@TempDir Path tmp) throws Exception {
        Peers.require(Peers.hasExecutable(CHROMIUM), "chromium", "apt-get install chromium");
        Path music = tmp.resolve("in/music");
        Files.createDirectories(music);
        Files.write(music.resolve("tone.wav"), wav(3, 8000, 440));
        try (ServeProcess a = ServeProcess.start(tmp.resolve("a"));
                ServeProcess b = ServeProcess.start(tmp.resolve("b"), "--bootstrap", "127.0.0.1:" + a.dhtPort())) {
            a.awaitDhtNodes(Duration.ofSeconds(30));
            JsonObject pub = (JsonObject) a.rpc("publish", JsonObject.builder().put("path", music.toString()).build());
            String uri = pub.string("uri");
            String hex = pub.string("publicKey");
            Cli.Result ui = Cli.run("ui", "-d", b.dir.toString());
            assertEquals(0, ui.code(), ui.err());
            String link = ui.out().strip();

            try (Chromium browser = Chromium.start(tmp.resolve("chromium"));
                    Cdp cdp = Cdp.connect(browser.devtools)) {
                String target = ((JsonObject) cdp.send(null, "Target.createTarget", JsonObject.builder().put("url", "about:blank").build())).string("targetId");
                String s = cdp.send(null, "Target.attachToTarget", JsonObject.builder().put("targetId", target).put("flatten", true).build()).string("sessionId");
                cdp.send(s, "Emulation.setDeviceMetricsOverride", JsonObject.builder().put("width", 1100).put("height", 1250)
                        .put("deviceScaleFactor", 1).put("mobile", false).build());
                cdp.send(s, "Page.navigate", JsonObject.builder().put("url", link).build());
                String base = "http://127.0.0.1:" + b.port + "/";
                await(cdp, s, "location.href === '" + base + "' && document.readyState === 'complete' && document.getElementById('state').textContent.startsWith('Connected')",
                        "the page signed in through the ui link");

                // the download limit, set through its form, reaches the node and shows on the page
                cdp.eval(s, "(() => { const f = document.getElementById('rate-form'); f.limit.value = '2.5'; f.querySelector('button').click(); return true; })()");
                await(cdp, s, "document.getElementById('rate-message').textContent === 'Downloads limited to 2.5 MiB/s.'", "the limit confirmed");
                assertEquals((long) (2.5 * (1 << 20)), ((JsonObject) b.rpc("status")).integer("downloadRate"), "the node's download limit");
                await(cdp, s, "document.getElementById('status').textContent.includes('Download limit2.5 MiB/s')", "the limit in the node's status");
                cdp.eval(s, "(() => { const f = document.getElementById('rate-form'); f.limit.value = '0'; f.querySelector('button').click(); return true; })()");
                await(cdp, s, "document.getElementById('rate-message').textContent === 'No download limit.'", "the limit lifted");
                assertEquals(0, ((JsonObject) b.rpc("status")).integer("downloadRate"));

                String label = "Tones <b>loud</b>";
                cdp.eval(s, "(() => { const f = document.getElementById('subscribe-form'); f.uri.value = " + js(uri) + "; f.label.value = " + js(label)
                        + "; f.querySelector('button').click(); return true; })()");
                await(cdp, s, "Array.from(document.querySelectorAll('#subscriptions tbody tr')).some(tr => tr.dataset.key === " + js(hex)
                        + " && tr.cells[0].textContent === " + js(label) + ")", "the subscription listed with its label as text");
                assertEquals(JsonValue.JsonBool.TRUE, cdp.eval(s, "document.querySelector('#subscriptions tbody b') === null"), "the label was not parsed as HTML");
                await(cdp, s, "(() => { const rows = document.querySelectorAll('#downloads tbody tr'); return rows.length === 1"
                        + " && rows[0].cells[1].textContent.trim() === '100%' && rows[0].cells[4].textContent === 'complete'; })()", "the download at 100%");
                await(cdp, s, "document.querySelector('#subscriptions tbody tr').cells[4].textContent.trim() === '100%'", "the subscription at 100%");

                cdp.eval(s, "document.querySelector('#downloads tbody button').click(), true");
                await(cdp, s, "(() => { const a = document.getElementById('audio'); return a.played.length > 0 && (a.ended || a.currentTime > 1); })()",
                        "the audio element played the WAV");
                JsonObject media = (JsonObject) Json.parse(((JsonString) cdp.eval(s, "(() => { const a = document.getElementById('audio');"
                        + " return JSON.stringify({src: a.currentSrc, time: a.currentTime, duration: a.duration, error: a.error && a.error.code}); })()")).value());
                assertTrue(media.string("src").endsWith("/stream/" + hex + "/music/tone.wav"), Json.write(media));
                assertEquals(3.0, ((JsonValue.JsonNumber) media.require("duration")).asDouble(), 0.05, Json.write(media));
                assertTrue(((JsonObject) b.rpc("streams")).integer("chunksRead") >= 1, "the node served the WAV through the stream route");

                byte[] png = Base64.getDecoder().decode(cdp.send(s, "Page.captureScreenshot", JsonObject.builder().put("format", "png").build()).string("data"));
                Path shot = Peers.projectDir().resolve("target/browser-ui.png");
                Files.createDirectories(shot.getParent());
                Files.write(shot, png);
                System.out.println("BrowserTest: played " + Json.write(media) + "; screenshot " + shot);
            }
        }
    }

    /** Polls a JavaScript condition until it holds (or fails the test with what the page says). */
    private static void await(Cdp cdp, String session, String condition, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (JsonValue.JsonBool.TRUE.equals(cdp.eval(session, "(() => { try { return !!(" + condition + "); } catch (e) { return false; } })()"))) return;
            Thread.sleep(200);
        }
        JsonValue page = cdp.eval(session, "document.body ? document.body.innerText.slice(0, 2000) : location.href");
        throw new AssertionError("not seen within 90 s: " + what + "; the page shows:\n" + Json.write(page));
    }

    private static String js(String s) {
        return Json.write(new JsonString(s));
    }

    /** A mono 16-bit PCM WAV of a sine tone. */
    static byte[] wav(int seconds, int rate, int hz) {
        int samples = seconds * rate;
        ByteBuffer b = ByteBuffer.allocate(44 + samples * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + samples * 2).put("WAVE".getBytes(StandardCharsets.US_ASCII));
        b.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1).putInt(rate).putInt(rate * 2)
                .putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(samples * 2);
        for (int i = 0; i < samples; i++) b.putShort((short) (Math.sin(2 * Math.PI * hz * i / rate) * 12000));
        return b.array();
    }

    /** Headless Chromium with its DevTools endpoint on an ephemeral loopback port. */
    static final class Chromium implements AutoCloseable {
        final Process process;
        final URI devtools;

        private Chromium(Process process, URI devtools) {
            this.process = process;
            this.devtools = devtools;
        }

        static Chromium start(Path profile) throws IOException, InterruptedException {
            Files.createDirectories(profile);
            Process p = new ProcessBuilder(List.of(CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                    "--autoplay-policy=no-user-gesture-required", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                    "--user-data-dir=" + profile, "about:blank")).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            CompletableFuture<URI> ws = new CompletableFuture<>();
            StringBuilder log = new StringBuilder();
            Thread.ofPlatform().daemon().start(() -> { // a pipe read pins a virtual thread's carrier
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        int at = line.indexOf("ws://");
                        if (line.startsWith("DevTools listening on") && at >= 0) ws.complete(URI.create(line.substring(at).strip()));
                        else if (log.length() < 4000) log.append(line).append('\n');
                    }
                } catch (IOException e) {
                    // chromium ended
                }
                ws.completeExceptionally(new IOException("chromium printed no DevTools address:\n" + log));
            });
            try {
                return new Chromium(p, ws.get(60, TimeUnit.SECONDS));
            } catch (Exception e) {
                p.destroyForcibly();
                throw new IOException("chromium did not start: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() throws InterruptedException {
            List<ProcessHandle> children = process.descendants().toList();
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
            children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        }
    }
}
