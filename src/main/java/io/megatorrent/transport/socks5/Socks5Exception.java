package io.megatorrent.transport.socks5;

import java.io.IOException;

/**
 * The proxy refused or garbled the negotiation. {@link #replyCode()} is the RFC 1928 REP field
 * (or Tor's extended code) when the proxy answered a CONNECT with a failure, else -1; {@link
 * #authStatus()} is the RFC 1929 STATUS when the proxy rejected our username/password, else -1.
 */
public final class Socks5Exception extends IOException {
    private static final long serialVersionUID = 1L;
    private final int replyCode;
    private final int authStatus;

    Socks5Exception(String message, int replyCode, int authStatus) {
        super(message);
        this.replyCode = replyCode;
        this.authStatus = authStatus;
    }

    static Socks5Exception protocol(String message) {
        return new Socks5Exception("SOCKS5 protocol error: " + message, -1, -1);
    }

    static Socks5Exception reply(int code, String target) {
        return new Socks5Exception("SOCKS5 proxy could not connect to " + target + ": "
                + Socks5Reply.describe(code) + " (REP 0x" + String.format("%02x", code) + ")", code, -1);
    }

    static Socks5Exception auth(int status) {
        return new Socks5Exception("SOCKS5 proxy rejected our username/password (RFC 1929 STATUS 0x"
                + String.format("%02x", status) + ")", -1, status);
    }

    public int replyCode() {
        return replyCode;
    }

    public int authStatus() {
        return authStatus;
    }
}
