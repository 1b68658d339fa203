package io.megatorrent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.testing.Cli;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Who may use a serve node's HTTP server, and how it answers those who may not: one node in its own process. */
@Timeout(120)
class WebAccessTest {
    @TempDir
    static Path tmp;
    static ServeProcess node;

    @BeforeAll
    static void start() throws Exception {
        node = ServeProcess.start(tmp.resolve("a"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) node.close();
    }

    private static Map<String, String> headers(String... kv) {
        Map<String, String> m = new HashMap<>();
        m.put("Host", node.host());
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] == null) m.remove(kv[i]);
            else m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private static RawHttp.Response get(String path, String... kv) throws IOException {
        return RawHttp.send(node.port, "GET", path, headers(kv), null);
    }

    private static RawHttp.Response post(String path, String body, String... kv) throws IOException {
        return RawHttp.send(node.port, "POST", path, headers(kv), body.getBytes(StandardCharsets.UTF_8));
    }

    private static String rpcBody(String method) {
        return "{\"jsonrpc\":\"2.0\",\"method\":\"" + method + "\",\"id\":1}";
    }

    private static String bearer() {
        return "Bearer " + node.endpoint.token();
    }

    @Test
    void thePageComesWithACspThatAllowsNoInlineScript() throws Exception {
        RawHttp.Response page = get("/");
        assertEquals(200, page.status());
        assertEquals("text/html; charset=utf-8", page.header("Content-Type"));
        String csp = page.header("Content-Security-Policy");
        assertNotNull(csp);
        assertTrue(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), csp);
        assertTrue(csp.contains("frame-ancestors 'none'"), csp);
        Matcher scripts = Pattern.compile("<script([^>]*)>").matcher(page.text());
        int n = 0;
        while (scripts.find()) {
            n++;
            assertTrue(scripts.group(1).contains("src="), "every script is a file: " + scripts.group());
        }
        assertEquals(1, n);
        assertFalse(page.text().matches("(?s).*\\son[a-z]+=.*"), "no inline event handlers");
        RawHttp.Response js = get("/app.js");
        assertEquals(200, js.status());
        assertTrue(js.header("Content-Type").startsWith("text/javascript"));
        assertFalse(js.text().contains("innerHTML"), "names from the node go into the page as text");
        assertEquals(200, get("/app.css").status());
        assertEquals(405, post("/", "x").status());
    }

    @Test
    void withoutCredentials403UnderApiV2And401Elsewhere() throws Exception {
        RawHttp.Response qbt = get("/api/v2/megatorrent/status");
        assertEquals(403, qbt.status());
        assertEquals("Forbidden", qbt.text());
        assertEquals(403, post("/api/v2/megatorrent/nope", "").status(), "credentials are checked before the route");
        assertEquals(401, get("/stream/" + "ab".repeat(32) + "/c/i").status());
        assertEquals(401, get("/nope").status(), "credentials are checked before the route");
        RawHttp.Response rpc = post(ApiServer.RPC_PATH, rpcBody("status"));
        assertEquals(401, rpc.status());
        assertTrue(rpc.text().contains("missing or wrong API token"), rpc.text());
        assertEquals(401, post(ApiServer.RPC_PATH, rpcBody("status"), "Authorization", "Bearer " + "00".repeat(32)).status());
        assertEquals(403, get("/api/v2/megatorrent/status", "Authorization", "Bearer wrong").status());
        assertEquals(401, get("/stream/x/y/z", "Cookie", Access.SESSION_COOKIE + "=" + "00".repeat(32)).status());
        // with the token
        assertEquals(200, get("/api/v2/megatorrent/status", "Authorization", bearer()).status());
        assertEquals(200, post(ApiServer.RPC_PATH, rpcBody("status"), "Authorization", bearer()).status());
    }

    @Test
    void aForeignHostIsRefusedEvenWithTheToken() throws Exception {
        for (String host : new String[] {"evil.example", "evil.example:" + node.port, "127.0.0.1:1", "127.0.0.1"}) {
            assertEquals(403, get("/api/v2/megatorrent/status", "Authorization", bearer(), "Host", host).status(), host);
            assertEquals(403, post(ApiServer.RPC_PATH, rpcBody("status"), "Authorization", bearer(), "Host", host).status(), host);
            RawHttp.Response page = get("/", "Host", host);
            assertEquals(403, page.status(), host);
            assertTrue(page.text().contains("Host header"), page.text());
        }
        assertEquals(403, get("/", "Host", null).status(), "no Host at all");
        for (String host : new String[] {"localhost:" + node.port, "[::1]:" + node.port, "127.0.0.1:" + node.port}) {
            assertEquals(200, get("/api/v2/megatorrent/status", "Authorization", bearer(), "Host", host).status(), host);
        }
    }

    @Test
    void theUiLinkWorksOnceAndGivesASessionCookie() throws Exception {
        Cli.Result ui = Cli.run("ui", "-d", node.dir.toString());
        assertEquals(0, ui.code(), ui.err());
        String url = ui.out().strip();
        assertTrue(url.matches("http://127\\.0\\.0\\.1:" + node.port + "/\\?token=[0-9a-f]{64}"), url);
        String path = url.substring(url.indexOf("/?"));
        RawHttp.Response first = get(path);
        assertEquals(303, first.status());
        assertEquals("/", first.header("Location"));
        String cookie = first.header("Set-Cookie");
        assertTrue(cookie.startsWith(Access.SESSION_COOKIE + "=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), cookie);
        String session = cookie.substring(0, cookie.indexOf(';'));
        assertEquals(403, get(path).status(), "a ui token works once");
        assertEquals(403, get("/?token=" + "12".repeat(32)).status(), "an unknown token");
        // the cookie opens every route
        RawHttp.Response status = post(ApiServer.RPC_PATH, rpcBody("status"), "Cookie", session, "Content-Type", "application/json");
        assertEquals(200, status.status(), status.text());
        assertEquals(200, get("/api/v2/megatorrent/subscriptions", "Cookie", "other=1; " + session).status());
        // and the session can be ended
        assertEquals(200, post(WebUi.LOGOUT_PATH, "", "Cookie", session).status());
        assertEquals(403, get("/api/v2/megatorrent/subscriptions", "Cookie", session).status());
    }

    @Test
    void qbittorrentLoginTakesTheTokenAsPasswordAndGivesASid() throws Exception {
        String form = "application/x-www-form-urlencoded";
        RawHttp.Response wrong = post(WebUi.LOGIN_PATH, "username=admin&password=adminadmin", "Content-Type", form);
        assertEquals(200, wrong.status());
        assertEquals("Fails.", wrong.text());
        assertTrue(wrong.all("Set-Cookie").isEmpty());
        RawHttp.Response ok = post(WebUi.LOGIN_PATH, "username=admin&password=" + node.endpoint.token(), "Content-Type", form);
        assertEquals("Ok.", ok.text());
        String cookie = ok.header("Set-Cookie");
        assertTrue(cookie.startsWith("SID=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), cookie);
        String sid = cookie.substring(0, cookie.indexOf(';'));
        RawHttp.Response status = get("/api/v2/megatorrent/status", "Cookie", sid);
        assertEquals(200, status.status());
        assertTrue(Json.parseObject(status.body()).has("dhtPort"));
        assertEquals(405, get(WebUi.LOGIN_PATH).status());
        assertEquals(403, post(WebUi.LOGIN_PATH, "password=" + node.endpoint.token(), "Content-Type", form, "Origin", "http://evil.example").status(),
                "a cross-site login is refused");
    }

    @Test
    void aCrossSitePostIsRefusedAndAScriptsPasses() throws Exception {
        String form = "application/x-www-form-urlencoded";
        String body = "uri=megatorrent://" + "cd".repeat(32) + "&label=x";
        String path = "/api/v2/megatorrent/addSubscription";
        String[][] foreign = {
            {"Origin", "http://evil.example"}, {"Origin", "null"}, {"Origin", "http://127.0.0.1:1"},
            {"Referer", "http://evil.example/page"}, {"Referer", "https://127.0.0.1:" + node.port + "/"}, {"Sec-Fetch-Site", "cross-site"},
            {"Sec-Fetch-Site", "same-site"},
        };
        for (String[] h : foreign) {
            RawHttp.Response r = post(path, body, "Authorization", bearer(), "Content-Type", form, h[0], h[1]);
            assertEquals(403, r.status(), h[0] + ": " + h[1]);
            assertTrue(r.text().contains("another site"), r.text());
            assertEquals(403, post(ApiServer.RPC_PATH, rpcBody("status"), "Authorization", bearer(), h[0], h[1]).status());
        }
        JsonObject subs = JsonObject.builder().build();
        assertEquals("[]", Json.write(node.rpc("subscriptions", subs)), "nothing was subscribed by the refused requests");
        // the page's own requests, and scripts that send none of those headers
        assertEquals(200, post(ApiServer.RPC_PATH, rpcBody("status"), "Authorization", bearer(), "Origin", "http://127.0.0.1:" + node.port,
                "Sec-Fetch-Site", "same-origin", "Referer", "http://localhost:" + node.port + "/").status());
        assertEquals(200, post(ApiServer.RPC_PATH, rpcBody("status"), "Authorization", bearer()).status());
    }

    @Test
    void badRequestsGetClearErrorsAndTheNodeKeepsServing() throws Exception {
        String form = "application/x-www-form-urlencoded";
        RawHttp.Response unknown = post("/api/v2/megatorrent/nope", "", "Authorization", bearer());
        assertEquals(404, unknown.status());
        assertTrue(Json.parseObject(unknown.body()).string("error").contains("no route"));
        assertEquals(404, get("/nope", "Authorization", bearer()).status());
        RawHttp.Response missing = post("/api/v2/megatorrent/removeSubscription", "", "Authorization", bearer(), "Content-Type", form);
        assertEquals(400, missing.status());
        assertEquals("missing field 'publicKey'", Json.parseObject(missing.body()).string("error"));
        RawHttp.Response badKey = post("/api/v2/megatorrent/addSubscription", "publicKey=zz", "Authorization", bearer(), "Content-Type", form);
        assertEquals(400, badKey.status());
        assertTrue(Json.parseObject(badKey.body()).string("error").startsWith("bad key"), badKey.text());
        String big = "label=" + "x".repeat(ApiServer.MAX_BODY_BYTES + 10);
        RawHttp.Response over = post("/api/v2/megatorrent/addSubscription", big, "Authorization", bearer(), "Content-Type", form);
        assertEquals(413, over.status());
        assertEquals(413, post(ApiServer.RPC_PATH, "[" + " ".repeat(ApiServer.MAX_BODY_BYTES) + "]", "Authorization", bearer()).status());
        assertEquals(405, get("/api/v2/megatorrent/addSubscription?publicKey=" + "ab".repeat(32), "Authorization", bearer()).status(),
                "a state change is never a GET");
        assertEquals(415, post("/api/v2/megatorrent/addSubscription", "{}", "Authorization", bearer(), "Content-Type", "application/json").status());
        assertEquals(400, post("/api/v2/megatorrent/ingest", "filePath=relative/path", "Authorization", bearer(), "Content-Type", form).status());
        RawHttp.Response badStream = get("/stream/zz/c/i", "Authorization", bearer());
        assertEquals(400, badStream.status());
        RawHttp.Response notFollowed = get("/stream/" + "ab".repeat(32) + "/c/i", "Authorization", bearer());
        assertEquals(404, notFollowed.status());
        assertTrue(Json.parseObject(notFollowed.body()).string("error").contains("no subscription"), notFollowed.text());
        assertTrue(node.isAlive());
        assertEquals(200, get("/api/v2/megatorrent/status", "Authorization", bearer()).status());
    }

    @Test
    void theLoopbackServerCannotBeReachedFromAnotherAddress() throws Exception {
        // Linux routes all of 127.0.0.0/8 to lo, so 127.0.0.2 is another address on this machine
        assertThrows(ConnectException.class, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), node.port), 3000);
            }
        }, "the server listens on 127.0.0.1 only");
        int others = 0;
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                if (a.isLoopbackAddress() || !(a instanceof Inet4Address)) continue;
                others++;
                assertThrows(ConnectException.class, () -> {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress(a, node.port), 3000);
                    }
                }, "reachable on " + a);
            }
        }
        System.out.println("loopback-only check: refused on 127.0.0.2 and on " + others + " non-loopback IPv4 addresses");
    }
}
