package io.megatorrent.content;

import io.megatorrent.codec.Hex;
import io.megatorrent.dht.NodeInfo;
import io.megatorrent.transport.PeerName;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A channel address: {@code megatorrent://<public key hex>[:<read key hex>][?bootstrap=host:port&...]}.
 * The public key names (and verifies) the channel; the read key, when present, opens a private
 * channel's manifests; bootstrap nodes are where a subscriber may first reach the DHT.
 * PROTOCOL_FINAL.md 6.7 states the grammar; {@link #parse} is strict and its errors say what is wrong.
 */
public record ChannelUri(byte[] publicKey, byte[] readKey, List<Bootstrap> bootstrap) {
    public static final String SCHEME = "megatorrent";
    /** Longest URI parsed. */
    public static final int MAX_LENGTH = 4096;
    /** Most bootstrap parameters in one URI. */
    public static final int MAX_BOOTSTRAP = 16;
    public static final int KEY_LENGTH = 32;
    private static final int MAX_HOST_LENGTH = 253;

    /** A DHT node to contact first: a DNS name, a dotted IPv4 address or an IPv6 address (without brackets). */
    public record Bootstrap(String host, int port) {
        public Bootstrap {
            if (port < 1 || port > 65535) throw new IllegalArgumentException("port must be 1..65535, got " + port);
            host = host.toLowerCase(Locale.ROOT);
            if (host.indexOf(':') >= 0) {
                String canonical = canonicalIpv6(host);
                if (canonical == null) throw new IllegalArgumentException("bad IPv6 address '" + host + "'");
                host = canonical;
            }
        }

        /** host:port, with the IPv6 host in brackets. */
        public String hostPort() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    public ChannelUri {
        if (publicKey.length != KEY_LENGTH) throw new IllegalArgumentException("public key must be 32 bytes");
        if (readKey != null && readKey.length != KEY_LENGTH) throw new IllegalArgumentException("read key must be 32 bytes");
        if (bootstrap.size() > MAX_BOOTSTRAP) throw new IllegalArgumentException("more than " + MAX_BOOTSTRAP + " bootstrap nodes");
        publicKey = publicKey.clone();
        readKey = readKey == null ? null : readKey.clone();
        bootstrap = List.copyOf(bootstrap);
    }

    public static ChannelUri publicChannel(byte[] publicKey) {
        return new ChannelUri(publicKey, null, List.of());
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** The read key, or null for a public channel (or a subscriber who was not given it). */
    @Override
    public byte[] readKey() {
        return readKey == null ? null : readKey.clone();
    }

    public boolean isPrivate() {
        return readKey != null;
    }

    /** The same channel without its read key: what may be shown to anyone. */
    public ChannelUri withoutReadKey() {
        return new ChannelUri(publicKey, null, bootstrap);
    }

    /** The full URI, read key included. */
    public String format() {
        StringBuilder sb = new StringBuilder(SCHEME).append("://").append(Hex.encode(publicKey));
        if (readKey != null) sb.append(':').append(Hex.encode(readKey));
        for (int i = 0; i < bootstrap.size(); i++) {
            Bootstrap b = bootstrap.get(i);
            // '[' and ']' are not allowed in a URI query (RFC 3986 3.4): percent-encode them.
            String hostPort = b.hostPort().replace("[", "%5B").replace("]", "%5D");
            sb.append(i == 0 ? '?' : '&').append("bootstrap=").append(hostPort);
        }
        return sb.toString();
    }

    /** The URI with the read key left out (marked "(private)"), so it can go into logs. */
    @Override
    public String toString() {
        return readKey == null ? format() : withoutReadKey().format() + " (private)";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChannelUri u && format().equals(u.format());
    }

    @Override
    public int hashCode() {
        return format().hashCode();
    }

    /** Parses a URI; the message of the exception says what is wrong and where. */
    public static ChannelUri parse(String uri) throws ChannelUriException {
        if (uri.length() > MAX_LENGTH) throw new ChannelUriException("URI is " + uri.length() + " characters, limit " + MAX_LENGTH);
        int colon = uri.indexOf("://");
        if (colon < 0) throw new ChannelUriException("not a URI: expected '" + SCHEME + "://'");
        String scheme = uri.substring(0, colon);
        if (!scheme.equalsIgnoreCase(SCHEME)) throw new ChannelUriException("bad scheme '" + scheme + "': expected '" + SCHEME + "'");
        String rest = uri.substring(colon + 3);
        if (rest.indexOf('#') >= 0) throw new ChannelUriException("a fragment ('#') is not allowed");
        int q = rest.indexOf('?');
        String keys = q < 0 ? rest : rest.substring(0, q);
        String query = q < 0 ? null : rest.substring(q + 1);
        if (keys.indexOf('/') >= 0) throw new ChannelUriException("a path ('/') is not allowed after the keys");
        int sep = keys.indexOf(':');
        byte[] publicKey = key(sep < 0 ? keys : keys.substring(0, sep), "public key");
        byte[] readKey = sep < 0 ? null : key(keys.substring(sep + 1), "read key");
        List<Bootstrap> nodes = new ArrayList<>();
        if (query != null) {
            if (query.isEmpty()) throw new ChannelUriException("empty query after '?'");
            for (String param : query.split("&", -1)) {
                if (param.isEmpty()) throw new ChannelUriException("empty parameter in the query ('&&' or trailing '&')");
                int eq = param.indexOf('=');
                String name = eq < 0 ? param : param.substring(0, eq);
                if (!name.equals("bootstrap")) throw new ChannelUriException("unknown parameter '" + name + "' (known: bootstrap)");
                if (eq < 0) throw new ChannelUriException("parameter 'bootstrap' needs a value host:port");
                if (nodes.size() == MAX_BOOTSTRAP) throw new ChannelUriException("more than " + MAX_BOOTSTRAP + " bootstrap parameters");
                Bootstrap node = bootstrap(percentDecode(param.substring(eq + 1)));
                if (nodes.contains(node)) throw new ChannelUriException("bootstrap '" + node.hostPort() + "' given twice");
                nodes.add(node);
            }
        }
        return new ChannelUri(publicKey, readKey, nodes);
    }

    private static byte[] key(String hex, String what) throws ChannelUriException {
        if (hex.length() != 2 * KEY_LENGTH) {
            throw new ChannelUriException(what + " must be " + 2 * KEY_LENGTH + " hex digits, got " + hex.length());
        }
        for (int i = 0; i < hex.length(); i++) {
            if (Character.digit(hex.charAt(i), 16) < 0 || hex.charAt(i) > 'f') {
                throw new ChannelUriException(what + ": '" + hex.charAt(i) + "' at position " + i + " is not a hex digit");
            }
        }
        return java.util.HexFormat.of().parseHex(hex.toLowerCase(Locale.ROOT));
    }

    private static String percentDecode(String s) throws ChannelUriException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    throw new ChannelUriException("truncated percent-escape in '" + s + "'");
                }
                int hi = Character.digit(s.charAt(i + 1), 16), lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) throw new ChannelUriException("bad percent-escape in '" + s + "'");
                char d = (char) (hi * 16 + lo);
                if (d != '[' && d != ']' && d != ':') throw new ChannelUriException("unexpected percent-escape %" + s.substring(i + 1, i + 3) + " in '" + s + "'");
                sb.append(d);
                i += 2;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Parses host:port, [ipv6]:port. */
    static Bootstrap bootstrap(String hostPort) throws ChannelUriException {
        String host;
        String port;
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            if (close < 0) throw new ChannelUriException("bootstrap '" + hostPort + "': missing ']' after the IPv6 address");
            host = hostPort.substring(1, close);
            if (close + 1 >= hostPort.length() || hostPort.charAt(close + 1) != ':') {
                throw new ChannelUriException("bootstrap '" + hostPort + "': missing ':port' after the IPv6 address");
            }
            port = hostPort.substring(close + 2);
            checkIpv6(host, hostPort);
        } else {
            int c = hostPort.lastIndexOf(':');
            if (c < 0) throw new ChannelUriException("bootstrap '" + hostPort + "': missing ':port'");
            host = hostPort.substring(0, c);
            port = hostPort.substring(c + 1);
            if (host.indexOf(':') >= 0) throw new ChannelUriException("bootstrap '" + hostPort + "': an IPv6 address must be in brackets");
            checkHostName(host, hostPort);
        }
        return new Bootstrap(host, port(port, hostPort));
    }

    private static int port(String s, String hostPort) throws ChannelUriException {
        if (s.isEmpty() || s.length() > 5 || (s.length() > 1 && s.charAt(0) == '0')) {
            throw new ChannelUriException("bootstrap '" + hostPort + "': bad port '" + s + "' (1-65535, no leading zeros)");
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') throw new ChannelUriException("bootstrap '" + hostPort + "': bad port '" + s + "' (not a number)");
        }
        int p = Integer.parseInt(s);
        if (p < 1 || p > 65535) throw new ChannelUriException("bootstrap '" + hostPort + "': bad port " + p + " (1-65535)");
        return p;
    }

    /**
     * A dotted quad (four decimal octets 0..255, no leading zeros), or a DNS name by the grammar
     * of {@link PeerName#dnsProblem}: a host whose last label is numeric is an IPv4 address to
     * resolvers, so it must be the dotted quad. DHT nodes are reached over UDP, which Tor and I2P
     * do not carry: {@code .onion} and {@code .i2p} names are refused.
     */
    private static void checkHostName(String host, String hostPort) throws ChannelUriException {
        if (host.isEmpty()) throw new ChannelUriException("bootstrap '" + hostPort + "': empty host");
        if (host.length() > MAX_HOST_LENGTH) throw new ChannelUriException("bootstrap '" + hostPort + "': host longer than " + MAX_HOST_LENGTH);
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
            if (!ok) throw new ChannelUriException("bootstrap '" + hostPort + "': bad character '" + c + "' in host '" + host + "'");
        }
        String[] labels = host.split("\\.", -1);
        String last = labels[labels.length - 1];
        if (!last.isEmpty() && !PeerName.isDnsName(last)) {
            // Ends in a number: an IPv4 address, never a name; it must be a proper dotted quad.
            boolean quad = labels.length == 4;
            for (String label : labels) {
                quad &= !label.isEmpty() && label.length() <= 3 && label.chars().allMatch(c -> c >= '0' && c <= '9')
                        && (label.length() == 1 || label.charAt(0) != '0') && Integer.parseInt(label) <= 255;
            }
            if (!quad) throw new ChannelUriException("bootstrap '" + hostPort + "': bad IPv4 address '" + host + "'");
            return;
        }
        String problem = PeerName.dnsProblem(host);
        if (problem != null) throw new ChannelUriException("bootstrap '" + hostPort + "': bad host name '" + host + "': " + problem);
        String lower = host.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".onion") || lower.endsWith(".i2p")) {
            throw new ChannelUriException("bootstrap '" + hostPort + "': a DHT node is reached over UDP, not over Tor or I2P");
        }
    }

    /** RFC 5952 text of an IPv6 literal of hex digits and colons only; null if it is not one (or is IPv4-mapped). */
    static String canonicalIpv6(String host) {
        boolean ok = host.length() >= 2 && host.length() <= 39 && host.indexOf(':') >= 0;
        for (int i = 0; ok && i < host.length(); i++) {
            char c = host.charAt(i);
            ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':';
        }
        if (!ok) return null;
        try {
            // The bracketed form is parsed as a literal: the JDK never resolves it through DNS.
            if (!(InetAddress.getByName("[" + host + "]") instanceof Inet6Address a)) return null;
            String hostPort = NodeInfo.format(new InetSocketAddress(a, 1));
            return hostPort.substring(1, hostPort.lastIndexOf(']'));
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static void checkIpv6(String host, String hostPort) throws ChannelUriException {
        if (canonicalIpv6(host) == null) {
            throw new ChannelUriException("bootstrap '" + hostPort + "': bad IPv6 address '" + host
                    + "' (hex digits and colons only: no zone id, no dotted IPv4 part, not IPv4-mapped)");
        }
    }
}
