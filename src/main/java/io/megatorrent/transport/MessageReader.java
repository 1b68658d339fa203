package io.megatorrent.transport;

import io.megatorrent.transport.Message.PeerEntry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Bounds-checked reads over one message; every error names its field and offset. */
final class MessageReader {
    private final byte[] buf;
    int pos;

    MessageReader(byte[] buf) {
        this.buf = buf;
    }

    int remaining() {
        return buf.length - pos;
    }

    private void need(int n, String field) throws ProtocolException {
        if (remaining() < n) throw new ProtocolException(field, pos, "message ends early (" + n + " bytes needed, " + remaining() + " left)");
    }

    int u8(String field) throws ProtocolException {
        need(1, field);
        return buf[pos++] & 0xFF;
    }

    int u16(String field) throws ProtocolException {
        need(2, field);
        int v = ((buf[pos] & 0xFF) << 8) | (buf[pos + 1] & 0xFF);
        pos += 2;
        return v;
    }

    int u32(String field) throws ProtocolException {
        need(4, field);
        int v = ByteBuffer.wrap(buf, pos, 4).getInt();
        pos += 4;
        return v;
    }

    long seq(String field) throws ProtocolException {
        need(8, field);
        int at = pos;
        long v = ByteBuffer.wrap(buf, pos, 8).getLong();
        pos += 8;
        if (v < 0) throw new ProtocolException(field, at, "sequence above 2^63-1");
        return v;
    }

    byte[] bytes(String field, int n) throws ProtocolException {
        need(n, field);
        byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return out;
    }

    int count(String field, int min, int max) throws ProtocolException {
        int at = pos;
        int n = u16(field);
        if (n < min || n > max) throw new ProtocolException(field, at, n + " is outside " + min + ".." + max);
        return n;
    }

    int count8(String field, int min, int max) throws ProtocolException {
        int at = pos;
        int n = u8(field);
        if (n < min || n > max) throw new ProtocolException(field, at, n + " is outside " + min + ".." + max);
        return n;
    }

    int requireId(int id, boolean nonZero) throws ProtocolException {
        if (nonZero && id == 0) throw new ProtocolException("request_id", 1, "must not be 0 for this message");
        if (!nonZero && id != 0) throw new ProtocolException("request_id", 1, "must be 0 for this message");
        return id;
    }

    byte[] krpc() throws ProtocolException {
        int n = remaining();
        if (n < 1 || n > Message.MAX_KRPC_LENGTH) throw new ProtocolException("krpc", pos, n + " bytes is outside 1.." + Message.MAX_KRPC_LENGTH);
        return bytes("krpc", n);
    }

    String utf8(String field, int n) throws ProtocolException {
        int at = pos;
        byte[] raw = bytes(field, n);
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException(field, at, "not valid UTF-8");
        }
    }

    static boolean isIpLiteral(String host) {
        return ipLiteral(host) != null;
    }

    /**
     * The address bytes of an IPv4 (dotted decimal, four octets 0..255) or IPv6 literal; null for
     * a name. Never a DNS lookup: IPv4 is parsed here, and the JDK parses a string containing ':'
     * only as an IPv6 literal.
     */
    static byte[] ipLiteral(String host) {
        if (host.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            String[] parts = host.split("\\.");
            byte[] ip = new byte[4];
            for (int i = 0; i < 4; i++) {
                int v = Integer.parseInt(parts[i]);
                if (v > 255) return null;
                ip[i] = (byte) v;
            }
            return ip;
        }
        if (!host.contains(":") || !host.matches("[0-9A-Fa-f:][0-9A-Fa-f:.]*")) return null;
        try {
            return InetAddress.getByName(host).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** An address from its bytes; an IPv4-mapped IPv6 address is refused (it must be sent as IPv4). */
    static InetAddress address(String field, int at, byte[] ip) throws ProtocolException {
        try {
            InetAddress a = InetAddress.getByAddress(ip);
            if (ip.length == 16 && a.getAddress().length == 4) throw new ProtocolException(field, at, "IPv4-mapped IPv6 address; send it as IPv4");
            return a;
        } catch (UnknownHostException e) {
            throw new ProtocolException(field, at, "bad address");
        }
    }

    PeerEntry peer() throws ProtocolException {
        int at = pos;
        int kind = u8("peer_kind");
        String host;
        PeerName.Kind nameKind = null;
        switch (kind) {
            case Message.PEER_IPV4, Message.PEER_IPV6 -> {
                byte[] ip = bytes("peer_ip", kind == Message.PEER_IPV4 ? 4 : 16);
                host = address("peer_ip", at + 1, ip).getHostAddress();
            }
            case Message.PEER_NAME -> {
                int nameAt = pos;
                int n = count("peer_name_length", 1, Message.MAX_HOST_LENGTH);
                byte[] name = bytes("peer_name", n);
                for (byte c : name) {
                    if (c <= 0x20 || c >= 0x7F) throw new ProtocolException("peer_name", nameAt + 2, "not printable ASCII");
                }
                host = new String(name, StandardCharsets.US_ASCII);
                if (isIpLiteral(host)) throw new ProtocolException("peer_name", nameAt + 2, "an IP literal must use kind 1 or 2");
                try {
                    nameKind = PeerName.kind(host);
                } catch (IllegalArgumentException e) {
                    throw new ProtocolException("peer_name", nameAt + 2, e.getMessage());
                }
            }
            default -> throw new ProtocolException("peer_kind", at, "must be 1, 2 or 3, got " + kind);
        }
        int portAt = pos;
        int port = u16("peer_port");
        boolean hasPort = nameKind == null || nameKind.hasPort();
        if (hasPort && port == 0) throw new ProtocolException("peer_port", portAt, "port 0: only an I2P peer has no port");
        if (!hasPort && port != 0) throw new ProtocolException("peer_port", portAt, "an I2P peer has no port: must be 0, got " + port);
        int keyAt = pos;
        int keyLength = u8("peer_key_length");
        if (keyLength != 0 && keyLength != Message.KEY_LENGTH) throw new ProtocolException("peer_key_length", keyAt, "must be 0 or 32");
        byte[] key = keyLength == 0 ? null : bytes("peer_key", Message.KEY_LENGTH);
        return new PeerEntry(new PeerAddress(host, port), key);
    }
}
