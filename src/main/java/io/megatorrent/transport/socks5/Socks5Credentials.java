package io.megatorrent.transport.socks5;

import io.megatorrent.codec.Hex;
import io.megatorrent.crypto.Hashes;
import io.megatorrent.transport.PeerAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * An RFC 1929 username and password, each 1..255 bytes of UTF-8. With Tor they choose the
 * circuit: Tor's SocksPort isolates streams by (username, password) (IsolateSOCKSAuth, on by
 * default), so {@link #isolating(String)} gives each peer or group its own circuit.
 */
public record Socks5Credentials(String username, String password) {
    /** RFC 1929: ULEN and PLEN are one byte, and zero is not a usable length. */
    public static final int MAX_FIELD_LENGTH = 255;
    /** Username of every isolation credential; the password carries the isolation key. */
    public static final String ISOLATION_USERNAME = "megatorrent-v6";
    static final String ISOLATION_DOMAIN = "megatorrent-socks-isolation";

    public Socks5Credentials {
        check(username, "username");
        check(password, "password");
    }

    private static void check(String field, String what) {
        if (field == null) throw new IllegalArgumentException("SOCKS5 " + what + " is missing");
        int n = field.getBytes(StandardCharsets.UTF_8).length;
        if (n < 1 || n > MAX_FIELD_LENGTH) {
            throw new IllegalArgumentException("SOCKS5 " + what + " must be 1.." + MAX_FIELD_LENGTH
                    + " bytes of UTF-8, got " + n);
        }
    }

    /**
     * Credentials that put a stream in the circuit named by {@code group}: username
     * {@value #ISOLATION_USERNAME}, password the lowercase hex of the first 16 bytes of
     * SHA-256("megatorrent-socks-isolation" || 0x00 || UTF-8(group)). The hash keeps the
     * password short and says nothing about the group to anyone who sees the proxy's logs.
     */
    public static Socks5Credentials isolating(String group) {
        byte[] h = Hashes.sha256(ISOLATION_DOMAIN.getBytes(StandardCharsets.UTF_8), new byte[] {0},
                group.getBytes(StandardCharsets.UTF_8));
        return new Socks5Credentials(ISOLATION_USERNAME, Hex.encode(Arrays.copyOf(h, 16)));
    }

    /** One circuit per peer: the group is the peer's address as written (host lowercased). */
    public static Socks5Credentials isolating(PeerAddress peer) {
        return isolating(new PeerAddress(peer.host().toLowerCase(Locale.ROOT), peer.port()).toString());
    }

    @Override
    public String toString() {
        return "Socks5Credentials[" + username + ", <password>]";
    }
}
