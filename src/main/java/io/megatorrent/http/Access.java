package io.megatorrent.http;

import com.sun.net.httpserver.HttpExchange;
import io.megatorrent.codec.Hex;
import io.megatorrent.crypto.Hashes;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who may use the HTTP server, the way Jupyter and Transmission guard theirs: the API token
 * ({@code Authorization: Bearer}), a session cookie got from a one-time {@code ui} token, or
 * qBittorrent's SID cookie got from its login route; the Host header must name this server
 * (against DNS rebinding); a state-changing request must not come from another site (Origin,
 * Referer, Sec-Fetch-Site). Tokens and sessions are kept as SHA-256 hashes, bounded in number.
 */
final class Access {
    static final String SESSION_COOKIE = "megatorrent_session";
    static final String QBITTORRENT_COOKIE = "SID";
    /** How long a {@code megatorrent ui} link works, once. */
    static final Duration UI_TOKEN_LIFE = Duration.ofMinutes(5);
    /** A session ends after this long without a request. */
    static final Duration SESSION_IDLE = Duration.ofHours(12);
    /** Sessions and unused ui tokens kept at most; the oldest go first. */
    static final int MAX_SESSIONS = 64;
    static final int MAX_UI_TOKENS = 16;

    private final byte[] apiToken;
    private final Set<String> hosts;
    private final SecureRandom random = new SecureRandom();
    /** hash of the secret -> expiry (nanoTime), oldest first. */
    private final Map<String, Long> sessions = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<String, Long> uiTokens = new LinkedHashMap<>();

    Access(String apiToken, InetSocketAddress bound) {
        this.apiToken = apiToken.getBytes(StandardCharsets.US_ASCII);
        this.hosts = Collections.unmodifiableSet(hostsOf(bound));
    }

    /** The Host values that name this server: the loopback names, and the bound address (each interface's when bound to all). */
    static Set<String> hostsOf(InetSocketAddress bound) {
        int port = bound.getPort();
        Set<String> hosts = new TreeSet<>();
        for (String h : List.of("127.0.0.1", "localhost", "[::1]")) hosts.add(h + ":" + port);
        InetAddress a = bound.getAddress();
        if (a.isAnyLocalAddress()) {
            try {
                for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                    for (InetAddress ia : Collections.list(ni.getInetAddresses())) hosts.add(literal(ia) + ":" + port);
                }
            } catch (SocketException e) {
                // the loopback names still work
            }
        } else {
            hosts.add(literal(a) + ":" + port);
        }
        return hosts;
    }

    static String literal(InetAddress a) {
        if (a instanceof Inet6Address) {
            String s = a.getHostAddress();
            int zone = s.indexOf('%');
            return "[" + (zone < 0 ? s : s.substring(0, zone)) + "]";
        }
        return a.getHostAddress();
    }

    Set<String> hosts() {
        return hosts;
    }

    /** The Host header names this server. */
    boolean hostAllowed(HttpExchange ex) {
        List<String> h = ex.getRequestHeaders().get("Host");
        return h != null && h.size() == 1 && hosts.contains(h.get(0).strip().toLowerCase(Locale.ROOT));
    }

    /**
     * A request that would change state comes from this server's own pages or from a script:
     * an Origin, Referer or Sec-Fetch-Site naming another site refuses it; none of them passes.
     */
    boolean notCrossSite(HttpExchange ex) {
        var headers = ex.getRequestHeaders();
        String site = headers.getFirst("Sec-Fetch-Site");
        if (site != null && !site.equals("same-origin") && !site.equals("none")) return false;
        String origin = headers.getFirst("Origin");
        if (origin != null && !isOurs(origin, false)) return false;
        String referer = headers.getFirst("Referer");
        return referer == null || isOurs(referer, true);
    }

    private boolean isOurs(String url, boolean withPath) {
        try {
            URI u = new URI(url.strip());
            if (!"http".equalsIgnoreCase(u.getScheme()) || u.getRawAuthority() == null || u.getRawUserInfo() != null) return false;
            if (!withPath && u.getRawPath() != null && !u.getRawPath().isEmpty()) return false;
            return hosts.contains(u.getRawAuthority().toLowerCase(Locale.ROOT));
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /** The API token, a live session cookie or a live SID cookie. */
    boolean authorized(HttpExchange ex) {
        return bearer(ex) || session(ex) != null;
    }

    /** Constant-time comparison of the bearer token. */
    boolean bearer(HttpExchange ex) {
        String h = ex.getRequestHeaders().getFirst("Authorization");
        if (h == null || !h.startsWith("Bearer ")) return false;
        return MessageDigest.isEqual(h.substring("Bearer ".length()).strip().getBytes(StandardCharsets.US_ASCII), apiToken);
    }

    /** The key of the live session a cookie names (extending it), or null. */
    String session(HttpExchange ex) {
        for (String header : ex.getRequestHeaders().getOrDefault("Cookie", List.of())) {
            for (String part : header.split(";")) {
                int eq = part.indexOf('=');
                if (eq < 0) continue;
                String name = part.substring(0, eq).strip();
                if (!name.equals(SESSION_COOKIE) && !name.equals(QBITTORRENT_COOKIE)) continue;
                String key = hash(part.substring(eq + 1).strip());
                synchronized (this) {
                    Long until = sessions.get(key);
                    if (until == null) continue;
                    long now = System.nanoTime();
                    if (until - now < 0) {
                        sessions.remove(key);
                        continue;
                    }
                    sessions.put(key, now + SESSION_IDLE.toNanos());
                    return key;
                }
            }
        }
        return null;
    }

    /** Opens a session; returns the secret its cookie carries. */
    String newSession() {
        String secret = secret();
        synchronized (this) {
            sessions.put(hash(secret), System.nanoTime() + SESSION_IDLE.toNanos());
            while (sessions.size() > MAX_SESSIONS) sessions.remove(sessions.keySet().iterator().next());
        }
        return secret;
    }

    synchronized void endSession(String key) {
        if (key != null) sessions.remove(key);
    }

    /** A one-time token for {@code /?token=}, valid {@link #UI_TOKEN_LIFE}. */
    String newUiToken() {
        String secret = secret();
        synchronized (this) {
            uiTokens.put(hash(secret), System.nanoTime() + UI_TOKEN_LIFE.toNanos());
            while (uiTokens.size() > MAX_UI_TOKENS) uiTokens.remove(uiTokens.keySet().iterator().next());
        }
        return secret;
    }

    /** Uses up a ui token: true when it was issued, unused and not expired. */
    boolean redeemUiToken(String token) {
        if (token == null || token.length() > 128) return false;
        Long until;
        synchronized (this) {
            until = uiTokens.remove(hash(token));
        }
        return until != null && until - System.nanoTime() > 0;
    }

    /** The API token itself, as qBittorrent's login password. */
    boolean isApiToken(String password) {
        return password != null && MessageDigest.isEqual(password.getBytes(StandardCharsets.UTF_8), apiToken);
    }

    private String secret() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return Hex.encode(b);
    }

    private static String hash(String secret) {
        return Hex.encode(Hashes.sha256().digest(secret.getBytes(StandardCharsets.UTF_8)));
    }
}
