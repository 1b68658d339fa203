package io.megatorrent.transport.socks5;

/** The REP field of a SOCKS5 reply: RFC 1928 section 6 plus Tor's extended errors (proposal 304). */
public enum Socks5Reply {
    SUCCEEDED(0x00, "succeeded"),
    GENERAL_FAILURE(0x01, "general SOCKS server failure"),
    NOT_ALLOWED(0x02, "connection not allowed by the proxy's ruleset"),
    NETWORK_UNREACHABLE(0x03, "network unreachable"),
    HOST_UNREACHABLE(0x04, "host unreachable"),
    CONNECTION_REFUSED(0x05, "connection refused by the destination"),
    TTL_EXPIRED(0x06, "TTL expired (Tor: the connection attempt timed out)"),
    COMMAND_NOT_SUPPORTED(0x07, "command not supported"),
    ADDRESS_TYPE_NOT_SUPPORTED(0x08, "address type not supported"),
    ONION_DESCRIPTOR_NOT_FOUND(0xF0, "onion service descriptor can not be found (Tor)"),
    ONION_DESCRIPTOR_INVALID(0xF1, "onion service descriptor is invalid (Tor)"),
    ONION_INTRODUCTION_FAILED(0xF2, "onion service introduction failed (Tor)"),
    ONION_RENDEZVOUS_FAILED(0xF3, "onion service rendezvous failed (Tor)"),
    ONION_MISSING_CLIENT_AUTH(0xF4, "onion service needs client authorization (Tor)"),
    ONION_WRONG_CLIENT_AUTH(0xF5, "onion service client authorization is wrong (Tor)"),
    ONION_ADDRESS_INVALID(0xF6, "invalid onion service address (Tor)"),
    ONION_INTRODUCTION_TIMED_OUT(0xF7, "onion service introduction timed out (Tor)");

    public final int code;
    public final String description;

    Socks5Reply(int code, String description) {
        this.code = code;
        this.description = description;
    }

    /** The reply for a REP byte, or null for an unassigned code. */
    public static Socks5Reply of(int code) {
        for (Socks5Reply r : values()) {
            if (r.code == code) return r;
        }
        return null;
    }

    static String describe(int code) {
        Socks5Reply r = of(code);
        return r == null ? "unassigned reply code" : r.description;
    }
}
