package io.megatorrent.transport.socks5;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The client side of RFC 1928 CONNECT with RFC 1929 authentication, byte-exact as in
 * PROTOCOL_FINAL.md section 5.2. Names always travel as ATYP DOMAINNAME and are never resolved
 * here; only IP literals (parsed without any lookup) use ATYP IPv4/IPv6.
 */
final class Socks5Handshake {
    static final int VERSION = 0x05;
    static final int METHOD_NO_AUTH = 0x00;
    static final int METHOD_USERNAME_PASSWORD = 0x02;
    static final int METHOD_NONE_ACCEPTABLE = 0xFF;
    static final int AUTH_VERSION = 0x01;
    static final int CMD_CONNECT = 0x01;
    static final int ATYP_IPV4 = 0x01;
    static final int ATYP_DOMAINNAME = 0x03;
    static final int ATYP_IPV6 = 0x04;
    /** DOMAINNAME carries a one-byte length. */
    static final int MAX_DOMAIN_LENGTH = 255;

    private Socks5Handshake() {}

    /**
     * VER NMETHODS METHODS. With credentials both username/password (first, preferred) and no
     * authentication are offered: Tor picks username/password and isolates streams by them, and
     * a proxy without users (microsocks, dante with {@code socksmethod: none}) picks "none" and
     * still works. The credentials are only an isolation key, never a secret worth insisting on.
     */
    static byte[] greeting(boolean withCredentials) {
        return withCredentials ? new byte[] {VERSION, 2, METHOD_USERNAME_PASSWORD, METHOD_NO_AUTH} : new byte[] {VERSION, 1, METHOD_NO_AUTH};
    }

    /** RFC 1929: VER=1 ULEN UNAME PLEN PASSWD. */
    static byte[] authRequest(Socks5Credentials credentials) {
        byte[] u = credentials.username().getBytes(StandardCharsets.UTF_8);
        byte[] p = credentials.password().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(3 + u.length + p.length);
        b.put((byte) AUTH_VERSION).put((byte) u.length).put(u).put((byte) p.length).put(p);
        return b.array();
    }

    /** VER CMD=CONNECT RSV=0 ATYP DST.ADDR DST.PORT. */
    static byte[] connectRequest(String host, int port) {
        if (port < 1 || port > 65535) throw new IllegalArgumentException("SOCKS5 target port must be 1..65535, got " + port);
        byte[] address = encodeAddress(host);
        ByteBuffer b = ByteBuffer.allocate(3 + address.length + 2);
        b.put((byte) VERSION).put((byte) CMD_CONNECT).put((byte) 0).put(address).putShort((short) port);
        return b.array();
    }

    /** ATYP and DST.ADDR for a host: IPv4 or IPv6 literal as such, anything else as a name. */
    static byte[] encodeAddress(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        byte[] v4 = parseIpv4(h);
        if (v4 != null) return concat(ATYP_IPV4, v4);
        if (h.indexOf(':') >= 0) return concat(ATYP_IPV6, parseIpv6(h));
        byte[] name = h.getBytes(StandardCharsets.US_ASCII);
        if (name.length < 1 || name.length > MAX_DOMAIN_LENGTH) {
            throw new IllegalArgumentException("SOCKS5 host name must be 1.." + MAX_DOMAIN_LENGTH + " bytes: " + host);
        }
        for (int i = 0; i < h.length(); i++) {
            char c = h.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_';
            if (!ok) {
                throw new IllegalArgumentException("SOCKS5 host name has a character other than letters, digits, "
                        + "'-', '.', '_' at index " + i + " (use punycode for international names): " + host);
            }
        }
        ByteBuffer b = ByteBuffer.allocate(2 + name.length);
        b.put((byte) ATYP_DOMAINNAME).put((byte) name.length).put(name);
        return b.array();
    }

    /** Strict dotted quad (four decimal parts 0..255, no leading zeros), else null. */
    static byte[] parseIpv4(String h) {
        String[] parts = h.split("\\.", -1);
        if (parts.length != 4) return null;
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) return null;
            for (int j = 0; j < p.length(); j++) {
                if (p.charAt(j) < '0' || p.charAt(j) > '9') return null;
            }
            int v = Integer.parseInt(p);
            if (v > 255) return null;
            out[i] = (byte) v;
        }
        return out;
    }

    /**
     * An IPv6 literal. InetAddress.getByName never consults a resolver for text containing ':'
     * (it parses it as a literal or throws), and we only call it with such text.
     */
    static byte[] parseIpv6(String h) {
        if (h.indexOf('%') >= 0) throw new IllegalArgumentException("SOCKS5 target must not carry an IPv6 scope: " + h);
        for (int i = 0; i < h.length(); i++) {
            char c = h.charAt(i);
            boolean ok = c == ':' || c == '.' || Character.digit(c, 16) >= 0;
            if (!ok) throw new IllegalArgumentException("not an IPv6 literal: " + h);
        }
        try {
            InetAddress a = InetAddress.getByName(h);
            byte[] raw = a.getAddress();
            if (a instanceof Inet6Address) return raw;
            // an IPv4-mapped literal (::ffff:a.b.c.d) comes back as IPv4: send it as the v6 it was written as
            byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(raw, 0, mapped, 12, 4);
            return mapped;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IPv6 literal: " + h, e);
        }
    }

    private static byte[] concat(int atyp, byte[] addr) {
        byte[] out = new byte[1 + addr.length];
        out[0] = (byte) atyp;
        System.arraycopy(addr, 0, out, 1, addr.length);
        return out;
    }

    /**
     * Runs the whole negotiation on a connected blocking channel and returns the proxy's BND
     * address as text. Reads exactly the reply's bytes, never more.
     */
    static String negotiate(SocketChannel channel, String host, int port, Socks5Credentials credentials,
                            long deadlineNanos) throws IOException {
        byte[] request = connectRequest(host, port); // validate before sending anything
        String target = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]:" + port : host + ":" + port;
        DeadlineReader io = new DeadlineReader(channel, deadlineNanos);
        io.write(greeting(credentials != null));
        byte[] choice = io.readExactly(2, "the method selection");
        if ((choice[0] & 0xff) != VERSION) {
            throw Socks5Exception.protocol(String.format("method selection has version 0x%02x, expected 0x05", choice[0] & 0xff));
        }
        int method = choice[1] & 0xff;
        if (method == METHOD_NONE_ACCEPTABLE) {
            throw new Socks5Exception("SOCKS5 proxy accepts none of our authentication methods (we offered "
                    + (credentials != null ? "username/password" : "no authentication")
                    + (credentials != null ? ")" : "; does it need a username and password?)"), -1, -1);
        }
        boolean offered = method == METHOD_NO_AUTH || (credentials != null && method == METHOD_USERNAME_PASSWORD);
        if (!offered) {
            throw Socks5Exception.protocol(String.format("proxy chose method 0x%02x, which we did not offer", method));
        }
        if (method == METHOD_USERNAME_PASSWORD) {
            io.write(authRequest(credentials));
            byte[] status = io.readExactly(2, "the username/password status");
            if ((status[0] & 0xff) != AUTH_VERSION) {
                throw Socks5Exception.protocol(String.format("username/password status has version 0x%02x, expected 0x01", status[0] & 0xff));
            }
            if (status[1] != 0) throw Socks5Exception.auth(status[1] & 0xff);
        }
        io.write(request);
        byte[] head = io.readExactly(4, "the CONNECT reply");
        if ((head[0] & 0xff) != VERSION) {
            throw Socks5Exception.protocol(String.format("CONNECT reply has version 0x%02x, expected 0x05", head[0] & 0xff));
        }
        int rep = head[1] & 0xff;
        // a failed reply may be cut short by the proxy closing: the code is what matters
        if (rep != 0) throw Socks5Exception.reply(rep, target);
        if (head[2] != 0) throw Socks5Exception.protocol(String.format("CONNECT reply RSV is 0x%02x, must be 0x00", head[2] & 0xff));
        String bound;
        switch (head[3] & 0xff) {
            case ATYP_IPV4 -> bound = InetAddress.getByAddress(io.readExactly(4, "BND.ADDR")).getHostAddress();
            case ATYP_IPV6 -> bound = "[" + InetAddress.getByAddress(io.readExactly(16, "BND.ADDR")).getHostAddress() + "]";
            case ATYP_DOMAINNAME -> {
                int n = io.readByte("BND.ADDR length");
                if (n == 0) throw Socks5Exception.protocol("CONNECT reply BND.ADDR is an empty name");
                bound = new String(io.readExactly(n, "BND.ADDR"), StandardCharsets.ISO_8859_1);
            }
            default -> throw Socks5Exception.protocol(String.format("CONNECT reply has unknown ATYP 0x%02x", head[3] & 0xff));
        }
        byte[] p = io.readExactly(2, "BND.PORT");
        io.finish();
        return bound + ":" + (((p[0] & 0xff) << 8) | (p[1] & 0xff));
    }
}
