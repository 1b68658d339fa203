package io.megatorrent.dht;

import io.megatorrent.codec.BValue;
import io.megatorrent.codec.BValue.BBytes;
import io.megatorrent.codec.BValue.BDict;
import io.megatorrent.codec.BValue.BInt;
import io.megatorrent.codec.BValue.BList;
import io.megatorrent.codec.Bencode;
import io.megatorrent.codec.CodecException;
import io.megatorrent.dht.KrpcMessage.*;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** KRPC wire format (BEP 5, BEP 43, BEP 44): the one place packets are encoded and strictly parsed. */
public final class Krpc {
    /** Largest datagram read; larger ones are dropped unread (a full BEP 44 put is about 1,200 bytes). */
    public static final int MAX_DATAGRAM_LENGTH = 2048;
    /** Longest transaction id accepted (clients use 2 to 4 bytes). */
    public static final int MAX_TRANSACTION_ID_LENGTH = 16;
    /** Longest token accepted in announce_peer and put (ours are 8 bytes; libtorrent's 4). */
    public static final int MAX_TOKEN_LENGTH = 64;
    /** Longest client version string accepted. */
    public static final int MAX_VERSION_LENGTH = 16;
    /** Longest error message kept from a remote. */
    public static final int MAX_ERROR_MESSAGE_LENGTH = 256;

    private Krpc() {}

    /** Dictionary keys read, made once: a busy node looks them up for every packet. */
    private static final java.util.Map<String, BBytes> KEYS = new java.util.HashMap<>();

    static {
        for (String k : List.of("t", "y", "q", "a", "r", "e", "v", "ro", "ip", "id", "target", "info_hash", "port", "implied_port",
                "token", "seq", "k", "sig", "salt", "cas", "nodes", "nodes6", "values"))
            KEYS.put(k, BBytes.of(k));
    }

    private static BBytes key(String k) {
        BBytes b = KEYS.get(k);
        return b != null ? b : BBytes.of(k);
    }

    /**
     * A KRPC packet: the envelope around one message. version is the sender's {@code v}
     * (nullable); readOnly is BEP 43's {@code ro} flag of a query; ip (nullable) is BEP 42's
     * {@code ip}, the requester's address as the responder sees it.
     */
    public record Packet(byte[] transactionId, KrpcMessage message, byte[] version, boolean readOnly, InetSocketAddress ip) {
        public Packet(byte[] transactionId, KrpcMessage message) {
            this(transactionId, message, null, false, null);
        }
    }

    // ---- encoding ----

    public static byte[] encode(Packet p) {
        if (!(p.message() instanceof Query q)) return encodeAnswer(p);
        BDict.Builder top = BDict.builder().put("t", p.transactionId());
        if (p.version() != null) top.put("v", p.version());
        top.put("y", "q").put("q", q.method().wireName).put("a", arguments(q));
        if (p.readOnly()) top.put("ro", 1);
        return Bencode.encode(top.build());
    }

    /**
     * Responses and errors, the hot path of a busy node, are written directly, keys in bencode's
     * sorted order, without building a dictionary first; the krpc vectors check that the bytes
     * are the canonical encoding.
     */
    private static byte[] encodeAnswer(Packet p) {
        return encodeAnswer(p, new Writer()).toByteArray();
    }

    /** A response or error written into {@code w} (reset first), for the receive thread's reused writer. */
    static Writer encodeAnswer(Packet p, Writer w) {
        w.reset().raw('d');
        switch (p.message()) {
            case Response r -> {
                if (p.ip() != null) w.key("ip").compactPeer(p.ip());
                w.key("r");
                writeValues(w, r);
            }
            case KrpcMessage.Error e -> w.key("e").raw('l').integer(e.code()).bytes(e.message().getBytes(StandardCharsets.UTF_8)).raw('e');
            case Query q -> throw new AssertionError(q);
        }
        w.key("t").bytes(p.transactionId());
        if (p.version() != null) w.key("v").bytes(p.version());
        w.key("y").bytes(p.message() instanceof Response ? Y_RESPONSE : Y_ERROR);
        return w.raw('e');
    }

    private static final byte[] Y_RESPONSE = {'r'};
    private static final byte[] Y_ERROR = {'e'};

    private static void writeValues(Writer w, Response r) {
        w.raw('d').key("id").bytes(r.id().raw());
        switch (r) {
            case PingResponse x -> {}
            case AnnouncePeerResponse x -> {}
            case PutResponse x -> {}
            case FindNodeResponse f -> {
                int v6 = ipv6Count(f.nodes());
                int v4 = f.nodes().size() - v6;
                if (v4 > 0 || v6 == 0) w.key("nodes").compactNodes(f.nodes(), false, v4);
                if (v6 > 0) w.key("nodes6").compactNodes(f.nodes(), true, v6);
            }
            case GetPeersResponse g -> {
                writeNodes(w, g.nodes());
                if (g.token() != null) w.key("token").bytes(g.token());
                if (!g.peers().isEmpty()) {
                    w.key("values").raw('l');
                    for (InetSocketAddress peer : g.peers()) w.compactPeer(peer);
                    w.raw('e');
                }
            }
            case GetResponse g -> {
                boolean signed = g.value() != null && g.publicKey() != null;
                if (signed) w.key("k").bytes(g.publicKey());
                writeNodes(w, g.nodes());
                if (g.seq() != null) w.key("seq").integer(g.seq());
                if (signed) w.key("sig").bytes(g.signature());
                if (g.token() != null) w.key("token").bytes(g.token());
                if (g.value() != null) w.key("v").append(Bencode.encode(g.value()));
            }
        }
        w.raw('e');
    }

    /** "nodes" (IPv4) and "nodes6" (IPv6, BEP 32), each only when not empty. */
    private static void writeNodes(Writer w, List<NodeInfo> nodes) {
        int v6 = ipv6Count(nodes);
        int v4 = nodes.size() - v6;
        if (v4 > 0) w.key("nodes").compactNodes(nodes, false, v4);
        if (v6 > 0) w.key("nodes6").compactNodes(nodes, true, v6);
    }

    private static int ipv6Count(List<NodeInfo> nodes) {
        int n = 0;
        for (int i = 0; i < nodes.size(); i++) if (nodes.get(i).ipv6()) n++;
        return n;
    }

    /**
     * A growable byte buffer with bencode's primitives. The receive thread keeps one and
     * {@link #reset}s it for every answer, so answering allocates no output buffer.
     */
    static final class Writer {
        private byte[] buf = new byte[256];
        private int len;

        Writer reset() {
            len = 0;
            return this;
        }

        Writer raw(char c) {
            ensure(1);
            buf[len++] = (byte) c;
            return this;
        }

        Writer append(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, len, b.length);
            len += b.length;
            return this;
        }

        Writer key(String k) {
            decimal(k.length()).raw(':');
            ensure(k.length());
            for (int i = 0; i < k.length(); i++) buf[len++] = (byte) k.charAt(i);
            return this;
        }

        Writer bytes(byte[] b) {
            return decimal(b.length).raw(':').append(b);
        }

        /**
         * The byte string of the {@code count} compact node infos of one family in nodes
         * ({@link NodeInfo#compactNodes}, {@link NodeInfo#compactNodes6}), written in place.
         */
        Writer compactNodes(List<NodeInfo> nodes, boolean v6, int count) {
            int length = count * (v6 ? NodeInfo.COMPACT_V6_LENGTH : NodeInfo.COMPACT_V4_LENGTH);
            decimal(length).raw(':');
            ensure(length);
            for (int i = 0; i < nodes.size(); i++) {
                NodeInfo n = nodes.get(i);
                if (n.ipv6() == v6) len = n.writeCompact(buf, len);
            }
            return this;
        }

        /** The byte string of a compact peer ({@link NodeInfo#compactPeer}), written in place. */
        Writer compactPeer(InetSocketAddress peer) {
            int length = peer.getAddress() instanceof java.net.Inet6Address ? NodeInfo.COMPACT_PEER_V6_LENGTH : NodeInfo.COMPACT_PEER_V4_LENGTH;
            decimal(length).raw(':');
            ensure(length);
            len = NodeInfo.writeCompactPeer(peer, buf, len);
            return this;
        }

        Writer integer(long v) {
            raw('i');
            if (v < 0) {
                if (v == Long.MIN_VALUE) {
                    for (char c : Long.toString(v).toCharArray()) raw(c);
                    return raw('e');
                }
                raw('-');
                v = -v;
            }
            return decimal(v).raw('e');
        }

        /** A non-negative number in decimal, without going through a String. */
        private Writer decimal(long v) {
            int digits = 1;
            for (long x = v; x >= 10; x /= 10) digits++;
            ensure(digits);
            for (int i = len + digits - 1; i >= len; i--) {
                buf[i] = (byte) ('0' + (v % 10));
                v /= 10;
            }
            len += digits;
            return this;
        }

        private void ensure(int n) {
            if (len + n > buf.length) buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
        }

        byte[] toByteArray() {
            return java.util.Arrays.copyOf(buf, len);
        }

        private java.nio.ByteBuffer view;

        /** The bytes written so far, without a copy: valid until the next reset (and the same buffer object each time). */
        java.nio.ByteBuffer asBuffer() {
            if (view == null || view.array() != buf) view = java.nio.ByteBuffer.wrap(buf);
            return view.clear().limit(len);
        }
    }

    static BDict arguments(Query q) {
        BDict.Builder a = BDict.builder().put("id", q.id().raw());
        switch (q) {
            case Ping p -> {}
            case FindNode f -> a.put("target", f.target().raw());
            case GetPeers g -> a.put("info_hash", g.infohash().raw());
            case AnnouncePeer an -> {
                a.put("info_hash", an.infohash().raw()).put("port", an.port()).put("token", an.token());
                if (an.impliedPort()) a.put("implied_port", 1);
            }
            case Get g -> {
                a.put("target", g.target().raw());
                if (g.seq() != null) a.put("seq", g.seq());
            }
            case Put put -> {
                a.put("token", put.token()).put("v", put.value());
                if (put.mutable()) {
                    a.put("k", put.publicKey()).put("seq", put.seq()).put("sig", put.signature());
                    if (put.salt() != null && put.salt().length > 0) a.put("salt", put.salt());
                    if (put.cas() != null) a.put("cas", put.cas());
                }
            }
        }
        return a.build();
    }

    // ---- decoding ----

    /** Decodes a datagram; {@code responseMethod} names the method a response's transaction answers (null: unknown). */
    public static Packet decode(byte[] datagram, Function<byte[], Method> responseMethod) throws KrpcException {
        if (datagram.length > MAX_DATAGRAM_LENGTH) throw KrpcException.protocol("datagram of " + datagram.length + " bytes is larger than " + MAX_DATAGRAM_LENGTH);
        BDict top;
        try {
            top = Bencode.decodeDict(datagram);
        } catch (CodecException e) {
            throw KrpcException.protocol("invalid bencoding at offset " + e.offset() + ": " + e.getMessage());
        }
        return decode(top, responseMethod);
    }

    public static Packet decode(BDict top, Function<byte[], Method> responseMethod) throws KrpcException {
        byte[] tid = bytes(top, "t", "message", 1, MAX_TRANSACTION_ID_LENGTH);
        byte[] version = optBytes(top, "v", "message", 0, MAX_VERSION_LENGTH);
        String y = new String(bytes(top, "y", "message", 1, 1), StandardCharsets.ISO_8859_1);
        return switch (y) {
            case "q" -> {
                String name = new String(bytes(top, "q", "message", 1, 32), StandardCharsets.ISO_8859_1);
                Method m = Method.byWireName(name);
                if (m == null) throw new KrpcException(KrpcException.METHOD_UNKNOWN, "method unknown: " + name);
                BDict a = dict(top, "a", "message");
                Long ro = optInt(top, "ro", "message");
                yield new Packet(tid, parseQuery(m, a), version, ro != null && ro == 1, null);
            }
            case "r" -> {
                BDict r = dict(top, "r", "message");
                Method m = responseMethod.apply(tid);
                if (m == null) throw KrpcException.protocol("response to an unknown transaction");
                byte[] ip = optBytes(top, "ip", "message", 0, 18);
                InetSocketAddress seen = ip != null && (ip.length == 6 || ip.length == 18) ? NodeInfo.parseCompactPeer(ip, 0, ip.length) : null;
                yield new Packet(tid, parseResponse(m, r), version, false, seen);
            }
            case "e" -> {
                BValue e = top.entries().get(key("e"));
                if (!(e instanceof BList list) || list.items().isEmpty() || !(list.items().get(0) instanceof BInt code))
                    throw KrpcException.protocol("'e' must be a list [code, message]");
                String text = "";
                if (list.items().size() > 1 && list.items().get(1) instanceof BBytes msg) {
                    byte[] raw = msg.bytes();
                    text = new String(raw, 0, Math.min(raw.length, MAX_ERROR_MESSAGE_LENGTH), StandardCharsets.UTF_8);
                }
                long c = code.value();
                yield new Packet(tid, new KrpcMessage.Error((int) Math.max(0, Math.min(999, c)), text), version, false, null);
            }
            default -> throw KrpcException.protocol("'y' must be q, r or e");
        };
    }

    /**
     * The busy node's shortcut for the queries that make most of its traffic (ping, find_node,
     * get_peers): read straight from the datagram, without a generic dictionary. It accepts
     * only what {@link #decode(byte[], Function)} would accept with the same result (canonical
     * bencode, keys sorted, fields of the right type and length) and returns null for anything
     * else, however valid: the full decoder then decides, with its precise errors.
     */
    static Packet decodeCommonQuery(byte[] d, int len) {
        return new QueryScanner().scan(d, len);
    }

    /**
     * The cursor of {@link #decodeCommonQuery}: every method answers -1 or null to give up.
     * The receive thread keeps one and scans every datagram with it, so a query it answers
     * allocates nothing here but the query itself; one scanner serves one thread.
     */
    static final class QueryScanner {
        private byte[] d;
        private int end;
        private int pos;
        // where the fields are in d: offsets of their bytes, -1 when absent
        private int t, tLen, v, vLen, q, qLen, id, target, infoHash;
        private long ro;
        private boolean y;

        /** {@link #decodeCommonQuery} of {@code d[0, len)}. */
        Packet scan(byte[] d, int len) {
            this.d = d;
            this.end = len;
            t = v = q = id = target = infoHash = -1;
            tLen = vLen = qLen = 0;
            ro = 0;
            y = false;
            try {
                return scan();
            } finally {
                this.d = null; // the receive buffer is not the scanner's to keep
            }
        }

        private Packet scan() {
            if (end < 2 || d[0] != 'd' || d[end - 1] != 'e') return null;
            pos = 1;
            int prevKey = -1, prevLen = 0;
            boolean sawArguments = false;
            while (pos < end && d[pos] != 'e') {
                int kLen = stringLength();
                if (kLen < 0) return null;
                int k = pos;
                pos += kLen;
                if (prevKey >= 0 && compare(prevKey, prevLen, k, kLen) >= 0) return null;
                prevKey = k;
                prevLen = kLen;
                if (is(k, kLen, "a")) {
                    if (!arguments()) return null;
                    sawArguments = true;
                } else if (is(k, kLen, "ro")) {
                    long r = integer();
                    if (r == Long.MIN_VALUE) return null;
                    ro = r;
                } else {
                    int vl = stringLength();
                    if (vl < 0) {
                        if (is(k, kLen, "t") || is(k, kLen, "y") || is(k, kLen, "q") || is(k, kLen, "v")) return null;
                        if (integer() == Long.MIN_VALUE) return null; // another key's integer: skipped; lists, dictionaries: give up
                        continue;
                    }
                    int at = pos;
                    pos += vl;
                    if (is(k, kLen, "t")) {
                        t = at;
                        tLen = vl;
                    } else if (is(k, kLen, "v")) {
                        v = at;
                        vLen = vl;
                    } else if (is(k, kLen, "q")) {
                        q = at;
                        qLen = vl;
                    } else if (is(k, kLen, "y")) {
                        y = vl == 1 && d[at] == 'q';
                        if (!y) return null;
                    }
                }
            }
            if (pos != end - 1 || !y || !sawArguments || t < 0 || q < 0 || id < 0) return null;
            if (tLen < 1 || tLen > MAX_TRANSACTION_ID_LENGTH || (v >= 0 && vLen > MAX_VERSION_LENGTH)) return null;
            Query query;
            if (is(q, qLen, "ping")) {
                query = new Ping(nodeId(id));
            } else if (is(q, qLen, "get_peers")) {
                if (infoHash < 0) return null;
                query = new GetPeers(nodeId(id), nodeId(infoHash));
            } else if (is(q, qLen, "find_node")) {
                if (target < 0) return null;
                query = new FindNode(nodeId(id), nodeId(target));
            } else {
                return null;
            }
            byte[] version = v < 0 ? null : java.util.Arrays.copyOfRange(d, v, v + vLen);
            return new Packet(java.util.Arrays.copyOfRange(d, t, t + tLen), query, version, ro == 1, null);
        }

        /** The "a" dictionary: id, target and info_hash noted (20 bytes each), other strings and integers skipped. */
        private boolean arguments() {
            if (pos >= end || d[pos] != 'd') return false;
            pos++;
            int prevKey = -1, prevLen = 0;
            while (pos < end && d[pos] != 'e') {
                int kLen = stringLength();
                if (kLen < 0) return false;
                int k = pos;
                pos += kLen;
                if (prevKey >= 0 && compare(prevKey, prevLen, k, kLen) >= 0) return false;
                prevKey = k;
                prevLen = kLen;
                int vl = stringLength();
                boolean wanted = is(k, kLen, "id") || is(k, kLen, "target") || is(k, kLen, "info_hash");
                if (vl < 0) {
                    if (wanted) return false;
                    if (pos < end && d[pos] == 'l') {
                        if (!flatList()) return false; // BEP 32's "want": a list of strings
                    } else if (integer() == Long.MIN_VALUE) {
                        return false;
                    }
                    continue;
                }
                if (wanted) {
                    if (vl != NodeId.LENGTH) return false;
                    if (is(k, kLen, "id")) id = pos;
                    else if (is(k, kLen, "target")) target = pos;
                    else infoHash = pos;
                }
                pos += vl;
            }
            if (pos >= end) return false;
            pos++;
            return true;
        }

        /** Skips a list of strings and integers. */
        private boolean flatList() {
            pos++;
            while (pos < end && d[pos] != 'e') {
                int n = stringLength();
                if (n >= 0) pos += n;
                else if (integer() == Long.MIN_VALUE) return false;
            }
            if (pos >= end) return false;
            pos++;
            return true;
        }

        /** A byte string's length, leaving pos on its first byte; -1 when no canonical string is here. */
        private int stringLength() {
            int start = pos;
            int n = 0;
            while (pos < end && d[pos] >= '0' && d[pos] <= '9') {
                if (pos - start >= 5) return -1; // longer than a datagram
                n = n * 10 + (d[pos++] - '0');
            }
            if (pos == start || pos >= end || d[pos] != ':' || (d[start] == '0' && pos - start > 1)) {
                pos = start;
                return -1;
            }
            pos++;
            if (n > end - pos) {
                pos = start;
                return -1;
            }
            return n;
        }

        /** A canonical integer of at most 18 digits; Long.MIN_VALUE when none is here. */
        private long integer() {
            if (pos >= end || d[pos] != 'i') return Long.MIN_VALUE;
            int p = pos + 1;
            boolean negative = p < end && d[p] == '-';
            if (negative) p++;
            int digitsAt = p;
            long value = 0;
            while (p < end && d[p] >= '0' && d[p] <= '9') {
                if (p - digitsAt >= 18) return Long.MIN_VALUE;
                value = value * 10 + (d[p++] - '0');
            }
            int digits = p - digitsAt;
            if (digits == 0 || p >= end || d[p] != 'e' || (d[digitsAt] == '0' && digits > 1) || (negative && value == 0)) return Long.MIN_VALUE;
            pos = p + 1;
            return negative ? -value : value;
        }

        private boolean is(int at, int len, String what) {
            if (len != what.length()) return false;
            for (int i = 0; i < len; i++) if (d[at + i] != what.charAt(i)) return false;
            return true;
        }

        /** Bencode's key order: unsigned bytes, a prefix first. */
        private int compare(int a, int aLen, int b, int bLen) {
            return java.util.Arrays.compareUnsigned(d, a, a + aLen, d, b, b + bLen);
        }

        private NodeId nodeId(int at) {
            return new NodeId(java.util.Arrays.copyOfRange(d, at, at + NodeId.LENGTH));
        }
    }

    static Query parseQuery(Method m, BDict a) throws KrpcException {
        NodeId id = id(a, "id", "a");
        return switch (m) {
            case PING -> new Ping(id);
            case FIND_NODE -> new FindNode(id, id(a, "target", "a"));
            case GET_PEERS -> new GetPeers(id, id(a, "info_hash", "a"));
            case ANNOUNCE_PEER -> {
                NodeId infohash = id(a, "info_hash", "a");
                Long implied = optInt(a, "implied_port", "a");
                boolean impliedPort = implied != null && implied != 0;
                Long port = optInt(a, "port", "a");
                if (port == null && !impliedPort) throw KrpcException.protocol("a.port missing");
                if (port != null && (port < 0 || port > 65535)) throw KrpcException.protocol("a.port out of range");
                if (!impliedPort && port == 0) throw KrpcException.protocol("a.port is 0");
                byte[] token = bytes(a, "token", "a", 1, MAX_TOKEN_LENGTH);
                yield new AnnouncePeer(id, infohash, port == null ? 0 : port.intValue(), impliedPort, token);
            }
            case GET -> new Get(id, id(a, "target", "a"), optInt(a, "seq", "a"));
            case PUT -> {
                byte[] token = bytes(a, "token", "a", 1, MAX_TOKEN_LENGTH);
                BValue v = a.entries().get(key("v"));
                if (v == null) throw KrpcException.protocol("a.v missing");
                byte[] k = optBytes(a, "k", "a", 32, 32);
                if (k == null) {
                    if (a.has("sig") || a.has("salt") || a.has("seq") || a.has("cas"))
                        throw KrpcException.protocol("mutable-item fields without a.k");
                    yield new Put(id, token, v, null, null, 0, null, null);
                }
                byte[] sig = bytes(a, "sig", "a", 64, 64);
                Long seq = optInt(a, "seq", "a");
                if (seq == null) throw KrpcException.protocol("a.seq missing");
                byte[] salt = optBytes(a, "salt", "a", 0, Integer.MAX_VALUE);
                yield new Put(id, token, v, k, salt == null ? new byte[0] : salt, seq, sig, optInt(a, "cas", "a"));
            }
        };
    }

    static Response parseResponse(Method m, BDict r) throws KrpcException {
        NodeId id = id(r, "id", "r");
        return switch (m) {
            case PING -> new PingResponse(id);
            case ANNOUNCE_PEER -> new AnnouncePeerResponse(id);
            case PUT -> new PutResponse(id);
            case FIND_NODE -> new FindNodeResponse(id, nodes(r));
            case GET_PEERS -> {
                List<InetSocketAddress> peers = new ArrayList<>();
                BValue values = r.entries().get(key("values"));
                if (values != null) {
                    if (!(values instanceof BList list)) throw KrpcException.protocol("r.values is not a list");
                    for (BValue item : list.items()) {
                        // 6-byte IPv4 and 18-byte IPv6 (BEP 32) peers; odd entries are skipped, not fatal
                        if (item instanceof BBytes b && (b.length() == NodeInfo.COMPACT_PEER_V4_LENGTH || b.length() == NodeInfo.COMPACT_PEER_V6_LENGTH)) {
                            InetSocketAddress peer = NodeInfo.parseCompactPeer(b.bytes(), 0, b.length());
                            if (peer.getPort() != 0) peers.add(peer);
                        }
                    }
                }
                yield new GetPeersResponse(id, optBytes(r, "token", "r", 0, MAX_TOKEN_LENGTH), peers, nodes(r));
            }
            case GET -> {
                byte[] token = optBytes(r, "token", "r", 0, MAX_TOKEN_LENGTH);
                BValue v = r.entries().get(key("v"));
                byte[] k = optBytes(r, "k", "r", 32, 32);
                Long seq = optInt(r, "seq", "r");
                byte[] sig = null;
                if (k != null && v != null) {
                    sig = bytes(r, "sig", "r", 64, 64);
                    if (seq == null) throw KrpcException.protocol("r.seq missing");
                }
                if (v == null) k = null; // a key without a value says nothing
                yield new GetResponse(id, token, nodes(r), v, k, seq, sig);
            }
        };
    }

    // ---- field helpers: every error names its field ----

    private static List<NodeInfo> nodes(BDict d) throws KrpcException {
        byte[] nodes = optBytes(d, "nodes", "r", 0, Integer.MAX_VALUE);
        byte[] nodes6 = optBytes(d, "nodes6", "r", 0, Integer.MAX_VALUE);
        if (nodes6 == null) return nodes == null ? List.of() : NodeInfo.parseCompactNodes(nodes, "r.nodes");
        List<NodeInfo> all = new ArrayList<>(nodes == null ? List.of() : NodeInfo.parseCompactNodes(nodes, "r.nodes"));
        all.addAll(NodeInfo.parseCompactNodes6(nodes6, "r.nodes6"));
        return all;
    }

    private static NodeId id(BDict d, String key, String where) throws KrpcException {
        return new NodeId(bytes(d, key, where, NodeId.LENGTH, NodeId.LENGTH));
    }

    private static byte[] bytes(BDict d, String key, String where, int min, int max) throws KrpcException {
        byte[] b = optBytes(d, key, where, min, max);
        if (b == null) throw KrpcException.protocol(where + "." + key + " missing");
        return b;
    }

    private static byte[] optBytes(BDict d, String key, String where, int min, int max) throws KrpcException {
        BValue v = d.entries().get(key(key));
        if (v == null) return null;
        if (!(v instanceof BBytes b)) throw KrpcException.protocol(where + "." + key + " is not a byte string");
        if (b.length() < min || b.length() > max)
            throw KrpcException.protocol(where + "." + key + " has " + b.length() + " bytes, expected " + (min == max ? "" + min : min + ".." + max));
        return b.bytes();
    }

    private static Long optInt(BDict d, String key, String where) throws KrpcException {
        BValue v = d.entries().get(key(key));
        if (v == null) return null;
        if (!(v instanceof BInt i)) throw KrpcException.protocol(where + "." + key + " is not an integer");
        return i.value();
    }

    private static BDict dict(BDict d, String key, String where) throws KrpcException {
        BValue v = d.entries().get(key(key));
        if (!(v instanceof BDict r)) throw KrpcException.protocol(where + "." + key + (v == null ? " missing" : " is not a dictionary"));
        return r;
    }

    /** The transaction id of a decoded dictionary, if it has a usable one (to answer errors). */
    static byte[] transactionIdOf(BDict top) {
        BValue t = top.entries().get(key("t"));
        return t instanceof BBytes b && b.length() >= 1 && b.length() <= MAX_TRANSACTION_ID_LENGTH ? b.bytes() : null;
    }

    static boolean isQuery(BDict top) {
        return top.entries().get(key("y")) instanceof BBytes y && y.length() == 1 && y.bytes()[0] == 'q';
    }
}
