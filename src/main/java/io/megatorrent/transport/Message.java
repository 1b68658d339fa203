package io.megatorrent.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The v6 protocol messages (PROTOCOL_FINAL.md section 4.5), and the one place their bytes are
 * written and read. A message is {@code type (1) || request_id (uint32be) || body}; every field
 * has a bound, and {@link #decode} rejects anything that is not exactly what {@link #encode} writes.
 */
public sealed interface Message {
    byte HELLO = 0x01;
    byte REQUEST = 0x02;
    byte DATA = 0x03;
    byte FIND_PEERS = 0x04;
    byte PEERS = 0x05;
    byte PUBLISH = 0x06;
    byte ANNOUNCE = 0x07;
    byte OK = 0x08;
    byte DHT_QUERY = 0x09;
    byte DHT_RESPONSE = 0x0A;
    byte GET_POINTER = 0x0B;
    byte POINTER = 0x0C;
    byte LEDGER_PROPOSE = 0x10;
    byte LEDGER_AGREE = 0x11;
    byte LEDGER_GET_CHAIN = 0x12;
    byte LEDGER_CHAIN = 0x13;
    byte ERROR = (byte) 0xFF;

    /** The protocol version this node speaks, in MSG_HELLO and in the Noise prologue. */
    int PROTOCOL_VERSION = 6;
    /** type + request id. */
    int HEADER_LENGTH = 5;
    /** Blob ids and DHT targets: SHA-256 truncated to 20 bytes, or a 20-byte info hash. */
    int ID_LENGTH = 20;
    /** Ed25519 public key of a channel, X25519 public key of a node. */
    int KEY_LENGTH = 32;
    int SIGNATURE_LENGTH = 64;
    /** A blob is 1 MiB of content plus the 16-byte AEAD tag. */
    int MAX_BLOB_LENGTH = (1 << 20) + 16;
    /** Largest message: a MSG_DATA carrying a full blob. Frames declaring more are refused unread. */
    int MAX_MESSAGE_LENGTH = HEADER_LENGTH + MAX_BLOB_LENGTH;
    int MAX_GOSSIP_CHANNELS = 256;
    int MAX_PEERS = 100;
    int MAX_ANNOUNCE_IDS = 2048;
    /** BEP 44 bounds. */
    int MAX_SALT_LENGTH = 64;
    int MAX_VALUE_LENGTH = 1000;
    /** A KRPC packet carried over a bridge: as large as a UDP datagram a DHT node accepts. */
    int MAX_KRPC_LENGTH = 2048;
    int MAX_ERROR_TEXT_LENGTH = 512;
    /** A ledger half-block (PROTOCOL_FINAL.md 8.2), carried as opaque bytes: io.megatorrent.ledger.Block reads them. */
    int LEDGER_BLOCK_LENGTH = 208;
    /** Blocks in one MSG_LEDGER_CHAIN (26 KiB). */
    int MAX_LEDGER_BLOCKS = 128;
    /** Longest host name in MSG_PEERS (a base64 I2P destination fits). */
    int MAX_HOST_LENGTH = PeerAddress.MAX_HOST_LENGTH;

    /** 0 for unsolicited messages; the requester's id in requests and their answers. */
    int requestId();

    /** Request ids are unsigned 32-bit values carried in an int. */
    private static void requireNonZeroId(int id, String what) {
        if (id == 0) throw new IllegalArgumentException(what + " needs a non-zero request id");
    }

    private static byte[] requireLength(byte[] b, int min, int max, String what) {
        if (b == null || b.length < min || b.length > max) {
            throw new IllegalArgumentException(what + " must be " + (min == max ? min : min + ".." + max) + " bytes");
        }
        return b.clone();
    }

    /** True when {@code b} is exactly one value in strict bencode (section 1.1), as BEP 44's {@code v} must be. */
    private static boolean isBencode(byte[] b) {
        try {
            io.megatorrent.codec.Bencode.decode(b);
            return true;
        } catch (io.megatorrent.codec.CodecException e) {
            return false;
        }
    }

    /** The bounds of a signed BEP 44 item, the body MSG_PUBLISH and MSG_POINTER share. */
    private static void checkItem(byte[] publicKey, long seq, byte[] salt, byte[] signature, byte[] value) {
        requireLength(publicKey, KEY_LENGTH, KEY_LENGTH, "public key");
        if (seq < 0) throw new IllegalArgumentException("sequence must be 0..2^63-1");
        requireLength(salt, 0, MAX_SALT_LENGTH, "salt");
        requireLength(signature, SIGNATURE_LENGTH, SIGNATURE_LENGTH, "signature");
        requireLength(value, 1, MAX_VALUE_LENGTH, "value");
        if (!isBencode(value)) throw new IllegalArgumentException("value must be one canonical bencoded value");
    }

    private static void putItem(ByteBuffer b, byte[] publicKey, long seq, byte[] salt, byte[] signature, byte[] value) {
        b.put(publicKey).putLong(seq).put((byte) salt.length).put(salt).put(signature);
        b.putShort((short) value.length).put(value);
    }

    private static int itemLength(byte[] salt, byte[] value) {
        return KEY_LENGTH + 8 + 1 + salt.length + SIGNATURE_LENGTH + 2 + value.length;
    }

    /** A channel's latest sequence number this node knows, gossiped in MSG_HELLO. */
    record ChannelSeq(byte[] publicKey, long seq) {
        public ChannelSeq {
            publicKey = requireLength(publicKey, KEY_LENGTH, KEY_LENGTH, "channel public key");
            if (seq < 0) throw new IllegalArgumentException("sequence must be 0..2^63-1");
        }

        @Override
        public byte[] publicKey() {
            return publicKey.clone();
        }
    }

    /** First message each side sends after the handshake, and again at will (it also keeps the connection alive). */
    record Hello(int version, int listenPort, List<ChannelSeq> channels) implements Message {
        public Hello {
            if (version < 0 || version > 0xFFFF) throw new IllegalArgumentException("version out of range");
            if (listenPort < 0 || listenPort > 0xFFFF) throw new IllegalArgumentException("port out of range");
            if (channels.size() > MAX_GOSSIP_CHANNELS) throw new IllegalArgumentException("at most " + MAX_GOSSIP_CHANNELS + " channels");
            List<ChannelSeq> sorted = new ArrayList<>(channels);
            sorted.sort(Comparator.comparing(ChannelSeq::publicKey, Arrays::compareUnsigned));
            for (int i = 1; i < sorted.size(); i++) {
                if (Arrays.equals(sorted.get(i - 1).publicKey(), sorted.get(i).publicKey())) {
                    throw new IllegalArgumentException("channel listed twice");
                }
            }
            channels = List.copyOf(sorted);
        }

        @Override
        public int requestId() {
            return 0;
        }
    }

    /** Asks for one blob by id; answered by MSG_DATA or MSG_ERROR. */
    record Request(int requestId, byte[] blobId) implements Message {
        public Request {
            requireNonZeroId(requestId, "MSG_REQUEST");
            blobId = requireLength(blobId, ID_LENGTH, ID_LENGTH, "blob id");
        }

        @Override
        public byte[] blobId() {
            return blobId.clone();
        }
    }

    /** A blob, answering the request with the same id. */
    record Data(int requestId, byte[] blob) implements Message {
        public Data {
            requireNonZeroId(requestId, "MSG_DATA");
            // Not cloned: blobs are large and the sender hands over ownership.
            if (blob.length < 1 || blob.length > MAX_BLOB_LENGTH) throw new IllegalArgumentException("blob must be 1.." + MAX_BLOB_LENGTH + " bytes");
        }
    }

    /** Asks which peers hold a blob (or serve a channel, by its 20-byte target). */
    record FindPeers(int requestId, byte[] target) implements Message {
        public FindPeers {
            requireNonZeroId(requestId, "MSG_FIND_PEERS");
            target = requireLength(target, ID_LENGTH, ID_LENGTH, "target");
        }

        @Override
        public byte[] target() {
            return target.clone();
        }
    }

    /** One peer in MSG_PEERS: where to reach it and, if known, its Noise static key (for IK). */
    record PeerEntry(PeerAddress address, byte[] staticKey) {
        public PeerEntry {
            if (staticKey != null) staticKey = requireLength(staticKey, KEY_LENGTH, KEY_LENGTH, "static key");
            boolean hasPort = true;
            if (!MessageReader.isIpLiteral(address.host())) {
                for (int i = 0; i < address.host().length(); i++) {
                    char c = address.host().charAt(i);
                    if (c <= 0x20 || c >= 0x7F) throw new IllegalArgumentException("host name must be printable ASCII");
                }
                hasPort = PeerName.kind(address.host()).hasPort();
            }
            if (hasPort && address.port() == 0) throw new IllegalArgumentException("port 0: only an I2P peer has no port");
            if (!hasPort && address.port() != 0) throw new IllegalArgumentException("an I2P peer has no port: must be 0");
        }

        @Override
        public byte[] staticKey() {
            return staticKey == null ? null : staticKey.clone();
        }
    }

    /** Answer to MSG_FIND_PEERS (or unsolicited, id 0, as peer exchange). */
    record Peers(int requestId, List<PeerEntry> peers) implements Message {
        public Peers {
            if (peers.size() > MAX_PEERS) throw new IllegalArgumentException("at most " + MAX_PEERS + " peers");
            peers = List.copyOf(peers);
        }
    }

    /** A signed BEP 44 mutable item for a gateway to store in the DHT; answered by MSG_OK or MSG_ERROR. */
    record Publish(int requestId, byte[] publicKey, long seq, byte[] salt, byte[] signature, byte[] value) implements Message {
        public Publish {
            requireNonZeroId(requestId, "MSG_PUBLISH");
            checkItem(publicKey, seq, salt, signature, value);
            publicKey = publicKey.clone();
            salt = salt.clone();
            signature = signature.clone();
            value = value.clone();
        }

        @Override
        public byte[] publicKey() {
            return publicKey.clone();
        }

        @Override
        public byte[] salt() {
            return salt.clone();
        }

        @Override
        public byte[] signature() {
            return signature.clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }
    }

    /** Asks the peer for the newest signed pointer it holds for a channel (gossip); answered by MSG_POINTER or MSG_ERROR. */
    record GetPointer(int requestId, byte[] channelKey) implements Message {
        public GetPointer {
            requireNonZeroId(requestId, "MSG_GET_POINTER");
            channelKey = requireLength(channelKey, KEY_LENGTH, KEY_LENGTH, "channel key");
        }

        @Override
        public byte[] channelKey() {
            return channelKey.clone();
        }
    }

    /**
     * A channel's signed BEP 44 pointer item, answering MSG_GET_POINTER: the body of MSG_PUBLISH.
     * The receiver verifies it as it would an item from the DHT before using it.
     */
    record Pointer(int requestId, byte[] publicKey, long seq, byte[] salt, byte[] signature, byte[] value) implements Message {
        public Pointer {
            requireNonZeroId(requestId, "MSG_POINTER");
            checkItem(publicKey, seq, salt, signature, value);
            publicKey = publicKey.clone();
            salt = salt.clone();
            signature = signature.clone();
            value = value.clone();
        }

        @Override
        public byte[] publicKey() {
            return publicKey.clone();
        }

        @Override
        public byte[] salt() {
            return salt.clone();
        }

        @Override
        public byte[] signature() {
            return signature.clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }
    }

    /** Blob ids the sender now holds and serves. Unsolicited. */
    record Announce(List<byte[]> blobIds) implements Message {
        public Announce {
            if (blobIds.isEmpty() || blobIds.size() > MAX_ANNOUNCE_IDS) throw new IllegalArgumentException("1.." + MAX_ANNOUNCE_IDS + " blob ids");
            blobIds = blobIds.stream().map(b -> requireLength(b, ID_LENGTH, ID_LENGTH, "blob id")).toList();
        }

        @Override
        public List<byte[]> blobIds() {
            return blobIds.stream().map(byte[]::clone).toList();
        }

        @Override
        public int requestId() {
            return 0;
        }
    }

    /** Success answer to a request that returns nothing (MSG_PUBLISH). */
    record Ok(int requestId) implements Message {
        public Ok {
            requireNonZeroId(requestId, "MSG_OK");
        }
    }

    /**
     * A KRPC query for a bridge: {@code node} null asks the bridge's own DHT node, otherwise the
     * bridge forwards it to that node and relays the answer in MSG_DHT_RESPONSE.
     */
    record DhtQuery(int requestId, InetSocketAddress node, byte[] krpc) implements Message {
        public DhtQuery {
            requireNonZeroId(requestId, "MSG_DHT_QUERY");
            if (node != null && (node.isUnresolved() || node.getPort() == 0)) throw new IllegalArgumentException("DHT node must be an IP address and non-zero port");
            krpc = requireLength(krpc, 1, MAX_KRPC_LENGTH, "KRPC packet");
        }

        @Override
        public byte[] krpc() {
            return krpc.clone();
        }
    }

    record DhtResponse(int requestId, byte[] krpc) implements Message {
        public DhtResponse {
            requireNonZeroId(requestId, "MSG_DHT_RESPONSE");
            krpc = requireLength(krpc, 1, MAX_KRPC_LENGTH, "KRPC packet");
        }

        @Override
        public byte[] krpc() {
            return krpc.clone();
        }
    }

    /** A seeder's proposal half-block (counterparty sequence 0); answered by MSG_LEDGER_AGREE or MSG_ERROR. */
    record LedgerPropose(int requestId, byte[] block) implements Message {
        public LedgerPropose {
            requireNonZeroId(requestId, "MSG_LEDGER_PROPOSE");
            block = requireLength(block, LEDGER_BLOCK_LENGTH, LEDGER_BLOCK_LENGTH, "ledger block");
        }

        @Override
        public byte[] block() {
            return block.clone();
        }
    }

    /** The countersigning half-block, answering the proposal with the same id. */
    record LedgerAgree(int requestId, byte[] block) implements Message {
        public LedgerAgree {
            requireNonZeroId(requestId, "MSG_LEDGER_AGREE");
            block = requireLength(block, LEDGER_BLOCK_LENGTH, LEDGER_BLOCK_LENGTH, "ledger block");
        }

        @Override
        public byte[] block() {
            return block.clone();
        }
    }

    /** Asks for up to {@code maxCount} blocks of {@code publicKey}'s chain from {@code fromSeq}; answered by MSG_LEDGER_CHAIN. */
    record LedgerGetChain(int requestId, byte[] publicKey, long fromSeq, int maxCount) implements Message {
        public LedgerGetChain {
            requireNonZeroId(requestId, "MSG_LEDGER_GET_CHAIN");
            publicKey = requireLength(publicKey, KEY_LENGTH, KEY_LENGTH, "ledger key");
            if (fromSeq < 1) throw new IllegalArgumentException("from_seq must be 1..2^63-1");
            if (maxCount < 1 || maxCount > MAX_LEDGER_BLOCKS) throw new IllegalArgumentException("max_count must be 1.." + MAX_LEDGER_BLOCKS);
        }

        @Override
        public byte[] publicKey() {
            return publicKey.clone();
        }
    }

    /**
     * Blocks about the ledger key {@code publicKey}: an answer (id of the MSG_LEDGER_GET_CHAIN),
     * or unsolicited (id 0): with a 64-byte {@code sessionProof} the sender introduces its own
     * ledger key on this connection, without one it pushes blocks (a fraud proof).
     */
    record LedgerChain(int requestId, byte[] publicKey, byte[] sessionProof, List<byte[]> blocks) implements Message {
        public LedgerChain {
            publicKey = requireLength(publicKey, KEY_LENGTH, KEY_LENGTH, "ledger key");
            if (sessionProof != null) {
                if (requestId != 0) throw new IllegalArgumentException("only an unsolicited MSG_LEDGER_CHAIN carries a session proof");
                sessionProof = requireLength(sessionProof, SIGNATURE_LENGTH, SIGNATURE_LENGTH, "session proof");
            }
            if (blocks.size() > MAX_LEDGER_BLOCKS) throw new IllegalArgumentException("at most " + MAX_LEDGER_BLOCKS + " blocks");
            blocks = blocks.stream().map(b -> requireLength(b, LEDGER_BLOCK_LENGTH, LEDGER_BLOCK_LENGTH, "ledger block")).toList();
        }

        @Override
        public byte[] publicKey() {
            return publicKey.clone();
        }

        @Override
        public byte[] sessionProof() {
            return sessionProof == null ? null : sessionProof.clone();
        }

        @Override
        public List<byte[]> blocks() {
            return blocks.stream().map(byte[]::clone).toList();
        }
    }

    /** A failed request (its id), or, with id 0, why the sender is about to close the connection. */
    record Error(int requestId, int code, String text) implements Message {
        public static final int BAD_MESSAGE = 1;
        public static final int NOT_FOUND = 2;
        public static final int BUSY = 3;
        public static final int UNSUPPORTED_VERSION = 4;
        public static final int REFUSED = 5;
        public static final int INTERNAL = 6;

        public Error {
            if (code < 0 || code > 0xFFFF) throw new IllegalArgumentException("error code out of range");
            if (text.getBytes(StandardCharsets.UTF_8).length > MAX_ERROR_TEXT_LENGTH) {
                throw new IllegalArgumentException("error text over " + MAX_ERROR_TEXT_LENGTH + " bytes");
            }
        }
    }

    // ---------------------------------------------------------------- encoding

    public static byte typeOf(Message m) {
        return switch (m) {
            case Hello h -> HELLO;
            case Request r -> REQUEST;
            case Data d -> DATA;
            case FindPeers f -> FIND_PEERS;
            case Peers p -> PEERS;
            case Publish p -> PUBLISH;
            case Announce a -> ANNOUNCE;
            case Ok o -> OK;
            case DhtQuery q -> DHT_QUERY;
            case DhtResponse r -> DHT_RESPONSE;
            case GetPointer g -> GET_POINTER;
            case Pointer p -> POINTER;
            case LedgerPropose p -> LEDGER_PROPOSE;
            case LedgerAgree a -> LEDGER_AGREE;
            case LedgerGetChain g -> LEDGER_GET_CHAIN;
            case LedgerChain c -> LEDGER_CHAIN;
            case Error e -> ERROR;
        };
    }

    /** The message's bytes: type || request_id || body. */
    public static byte[] encode(Message m) {
        ByteBuffer b = ByteBuffer.allocate(encodedLength(m));
        b.put(typeOf(m)).putInt(m.requestId());
        switch (m) {
            case Hello h -> {
                b.putShort((short) h.version()).putShort((short) h.listenPort()).putShort((short) h.channels().size());
                for (ChannelSeq c : h.channels()) b.put(c.publicKey).putLong(c.seq());
            }
            case Request r -> b.put(r.blobId);
            case Data d -> b.put(d.blob());
            case FindPeers f -> b.put(f.target);
            case Peers p -> {
                b.putShort((short) p.peers().size());
                for (PeerEntry e : p.peers()) putPeer(b, e);
            }
            case Publish p -> putItem(b, p.publicKey, p.seq(), p.salt, p.signature, p.value);
            case Announce a -> {
                b.putShort((short) a.blobIds.size());
                for (byte[] id : a.blobIds) b.put(id);
            }
            case Ok o -> { }
            case DhtQuery q -> {
                if (q.node() == null) {
                    b.put((byte) 0);
                } else {
                    byte[] ip = q.node().getAddress().getAddress();
                    b.put((byte) (ip.length == 4 ? 4 : 6)).put(ip).putShort((short) q.node().getPort());
                }
                b.put(q.krpc);
            }
            case DhtResponse r -> b.put(r.krpc);
            case GetPointer g -> b.put(g.channelKey);
            case Pointer p -> putItem(b, p.publicKey, p.seq(), p.salt, p.signature, p.value);
            case LedgerPropose p -> b.put(p.block);
            case LedgerAgree a -> b.put(a.block);
            case LedgerGetChain g -> b.put(g.publicKey).putLong(g.fromSeq()).putShort((short) g.maxCount());
            case LedgerChain c -> {
                b.put(c.publicKey);
                if (c.sessionProof == null) b.put((byte) 0);
                else b.put((byte) SIGNATURE_LENGTH).put(c.sessionProof);
                b.putShort((short) c.blocks.size());
                for (byte[] block : c.blocks) b.put(block);
            }
            case Error e -> {
                byte[] text = e.text().getBytes(StandardCharsets.UTF_8);
                b.putShort((short) e.code()).putShort((short) text.length).put(text);
            }
        }
        if (b.hasRemaining()) throw new IllegalStateException("encoded length mismatch for " + m.getClass().getSimpleName());
        return b.array();
    }

    public static int encodedLength(Message m) {
        return HEADER_LENGTH + switch (m) {
            case Hello h -> 6 + h.channels().size() * (KEY_LENGTH + 8);
            case Request r -> ID_LENGTH;
            case Data d -> d.blob().length;
            case FindPeers f -> ID_LENGTH;
            case Peers p -> 2 + p.peers().stream().mapToInt(Message::peerLength).sum();
            case Publish p -> itemLength(p.salt, p.value);
            case Announce a -> 2 + a.blobIds.size() * ID_LENGTH;
            case Ok o -> 0;
            case DhtQuery q -> 1 + (q.node() == null ? 0 : q.node().getAddress().getAddress().length + 2) + q.krpc.length;
            case DhtResponse r -> r.krpc.length;
            case GetPointer g -> KEY_LENGTH;
            case Pointer p -> itemLength(p.salt, p.value);
            case LedgerPropose p -> LEDGER_BLOCK_LENGTH;
            case LedgerAgree a -> LEDGER_BLOCK_LENGTH;
            case LedgerGetChain g -> KEY_LENGTH + 8 + 2;
            case LedgerChain c -> KEY_LENGTH + 1 + (c.sessionProof == null ? 0 : SIGNATURE_LENGTH) + 2 + c.blocks.size() * LEDGER_BLOCK_LENGTH;
            case Error e -> 4 + e.text().getBytes(StandardCharsets.UTF_8).length;
        };
    }

    /** Address kinds in a MSG_PEERS entry. */
    byte PEER_IPV4 = 1;
    byte PEER_IPV6 = 2;
    byte PEER_NAME = 3;

    private static int peerLength(PeerEntry e) {
        byte[] ip = MessageReader.ipLiteral(e.address().host());
        int addr = ip != null ? ip.length : 2 + e.address().host().length();
        return 1 + addr + 2 + 1 + (e.staticKey == null ? 0 : KEY_LENGTH);
    }

    private static void putPeer(ByteBuffer b, PeerEntry e) {
        byte[] ip = MessageReader.ipLiteral(e.address().host());
        if (ip == null) {
            byte[] name = e.address().host().getBytes(StandardCharsets.US_ASCII);
            b.put(PEER_NAME).putShort((short) name.length).put(name);
        } else {
            b.put(ip.length == 4 ? PEER_IPV4 : PEER_IPV6).put(ip);
        }
        b.putShort((short) e.address().port());
        if (e.staticKey == null) {
            b.put((byte) 0);
        } else {
            b.put((byte) KEY_LENGTH).put(e.staticKey);
        }
    }

    // ---------------------------------------------------------------- decoding

    /**
     * A MSG_DATA given as its 5-byte header and its blob (what {@link #decode} would read from
     * {@code header || blob}); the blob is kept, not copied.
     */
    static Message decodeData(byte[] header, byte[] blob) throws ProtocolException {
        MessageReader r = new MessageReader(header);
        if (header.length != HEADER_LENGTH || r.u8("type") != DATA) throw new IllegalArgumentException("not a MSG_DATA header");
        int id = r.requireId(r.u32("request_id"), true);
        if (blob.length < 1) throw new ProtocolException("blob", HEADER_LENGTH, "empty blob");
        return new Data(id, blob);
    }

    /** Reads one message from exactly {@code bytes}; the offsets in errors are within it. */
    public static Message decode(byte[] bytes) throws ProtocolException {
        if (bytes.length < HEADER_LENGTH) throw new ProtocolException("header", 0, "message shorter than 5 bytes");
        if (bytes.length > MAX_MESSAGE_LENGTH) throw new ProtocolException("length", 0, "message longer than " + MAX_MESSAGE_LENGTH);
        MessageReader r = new MessageReader(bytes);
        byte type = (byte) r.u8("type");
        int id = r.u32("request_id");
        Message m = switch (type) {
            case HELLO -> {
                r.requireId(id, false);
                int version = r.u16("version");
                int port = r.u16("listen_port");
                int count = r.count("channel_count", 0, MAX_GOSSIP_CHANNELS);
                List<ChannelSeq> channels = new ArrayList<>(count);
                byte[] previous = null;
                for (int i = 0; i < count; i++) {
                    int at = r.pos;
                    byte[] key = r.bytes("channel_key", KEY_LENGTH);
                    if (previous != null && Arrays.compareUnsigned(previous, key) >= 0) {
                        throw new ProtocolException("channel_key", at, "channels not in ascending key order, or repeated");
                    }
                    previous = key;
                    channels.add(new ChannelSeq(key, r.seq("channel_seq")));
                }
                yield new Hello(version, port, channels);
            }
            case REQUEST -> new Request(r.requireId(id, true), r.bytes("blob_id", ID_LENGTH));
            case DATA -> {
                r.requireId(id, true);
                if (r.remaining() < 1) throw new ProtocolException("blob", r.pos, "empty blob");
                yield new Data(id, r.bytes("blob", r.remaining()));
            }
            case FIND_PEERS -> new FindPeers(r.requireId(id, true), r.bytes("target", ID_LENGTH));
            case PEERS -> {
                int count = r.count("peer_count", 0, MAX_PEERS);
                List<PeerEntry> peers = new ArrayList<>(count);
                for (int i = 0; i < count; i++) peers.add(r.peer());
                yield new Peers(id, peers);
            }
            case PUBLISH, POINTER -> {
                r.requireId(id, true);
                byte[] key = r.bytes("public_key", KEY_LENGTH);
                long seq = r.seq("seq");
                int saltLength = r.count8("salt_length", 0, MAX_SALT_LENGTH);
                byte[] salt = r.bytes("salt", saltLength);
                byte[] sig = r.bytes("signature", SIGNATURE_LENGTH);
                int valueLength = r.count("value_length", 1, MAX_VALUE_LENGTH);
                int valueAt = r.pos;
                byte[] value = r.bytes("value", valueLength);
                if (!isBencode(value)) throw new ProtocolException("value", valueAt, "not one canonical bencoded value (BEP 44 'v')");
                yield type == PUBLISH ? new Publish(id, key, seq, salt, sig, value) : new Pointer(id, key, seq, salt, sig, value);
            }
            case GET_POINTER -> new GetPointer(r.requireId(id, true), r.bytes("channel_key", KEY_LENGTH));
            case ANNOUNCE -> {
                r.requireId(id, false);
                int count = r.count("id_count", 1, MAX_ANNOUNCE_IDS);
                List<byte[]> ids = new ArrayList<>(count);
                for (int i = 0; i < count; i++) ids.add(r.bytes("blob_id", ID_LENGTH));
                yield new Announce(ids);
            }
            case OK -> new Ok(r.requireId(id, true));
            case DHT_QUERY -> {
                r.requireId(id, true);
                int at = r.pos;
                int kind = r.u8("node_kind");
                InetSocketAddress node = switch (kind) {
                    case 0 -> null;
                    case 4, 6 -> {
                        InetAddress ip = MessageReader.address("node_ip", at + 1, r.bytes("node_ip", kind == 4 ? 4 : 16));
                        int nodePortAt = r.pos;
                        int port = r.u16("node_port");
                        if (port == 0) throw new ProtocolException("node_port", nodePortAt, "port 0");
                        yield new InetSocketAddress(ip, port);
                    }
                    default -> throw new ProtocolException("node_kind", at, "must be 0, 4 or 6, got " + kind);
                };
                yield new DhtQuery(id, node, r.krpc());
            }
            case DHT_RESPONSE -> new DhtResponse(r.requireId(id, true), r.krpc());
            case LEDGER_PROPOSE -> new LedgerPropose(r.requireId(id, true), r.bytes("block", LEDGER_BLOCK_LENGTH));
            case LEDGER_AGREE -> new LedgerAgree(r.requireId(id, true), r.bytes("block", LEDGER_BLOCK_LENGTH));
            case LEDGER_GET_CHAIN -> {
                r.requireId(id, true);
                byte[] key = r.bytes("ledger_key", KEY_LENGTH);
                int fromAt = r.pos;
                long from = r.seq("from_seq");
                if (from < 1) throw new ProtocolException("from_seq", fromAt, "must be at least 1");
                yield new LedgerGetChain(id, key, from, r.count("max_count", 1, MAX_LEDGER_BLOCKS));
            }
            case LEDGER_CHAIN -> {
                byte[] key = r.bytes("ledger_key", KEY_LENGTH);
                int proofAt = r.pos;
                int proofLength = r.u8("proof_length");
                if (proofLength != 0 && proofLength != SIGNATURE_LENGTH) throw new ProtocolException("proof_length", proofAt, "must be 0 or 64, got " + proofLength);
                if (proofLength != 0 && id != 0) throw new ProtocolException("proof_length", proofAt, "a session proof only in an unsolicited message (id 0)");
                byte[] proof = proofLength == 0 ? null : r.bytes("session_proof", proofLength);
                int count = r.count("block_count", 0, MAX_LEDGER_BLOCKS);
                List<byte[]> blocks = new ArrayList<>(count);
                for (int i = 0; i < count; i++) blocks.add(r.bytes("block", LEDGER_BLOCK_LENGTH));
                yield new LedgerChain(id, key, proof, blocks);
            }
            case ERROR -> {
                int code = r.u16("code");
                int length = r.count("text_length", 0, MAX_ERROR_TEXT_LENGTH);
                yield new Error(id, code, r.utf8("text", length));
            }
            default -> throw new ProtocolException("type", 0, String.format("unknown message type 0x%02x", type & 0xFF));
        };
        if (r.remaining() != 0) throw new ProtocolException("end", r.pos, r.remaining() + " bytes after the message");
        return m;
    }

}
