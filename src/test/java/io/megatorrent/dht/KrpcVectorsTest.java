package io.megatorrent.dht;

import static org.junit.jupiter.api.Assertions.*;

import io.megatorrent.codec.BValue;
import io.megatorrent.codec.BValue.BBytes;
import io.megatorrent.codec.BValue.BDict;
import io.megatorrent.codec.Bencode;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.conformance.Conformance;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.dht.KrpcMessage.*;
import io.megatorrent.testing.Peers;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Generates test-vectors/krpc.json from our codec with fixed ids, tokens and keys, and checks
 * that the committed file is exactly that (run with -Dkrpc.vectors.write=true to rewrite it),
 * then runs it through the conformance runner.
 */
class KrpcVectorsTest {
    static final NodeId A = new NodeId(b("abcdefghij0123456789"));
    static final NodeId B = new NodeId(b("mnopqrstuvwxyz123456"));
    static final byte[] T = b("aa");
    static final byte[] TOKEN = b("aoeusnth");
    static final Ed25519.KeyPair KEY = Ed25519.fromSeed(new byte[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private final List<JsonValue> vectors = new ArrayList<>();

    private void valid(String name, Krpc.Packet p) throws KrpcException {
        byte[] wire = Krpc.encode(p);
        Method m = p.message() instanceof Response ? methodOf((Response) p.message()) : null;
        Krpc.Packet back = Krpc.decode(wire, t -> m);
        JsonObject.Builder v = JsonObject.builder().put("name", name).put("hex", Hex.encode(wire));
        if (m != null) v.put("method", m.wireName);
        vectors.add(v.put("valid", true).put("decoded", KrpcJson.describe(back)).build());
    }

    private void validRaw(String name, String wire, Method m) throws KrpcException {
        Krpc.Packet back = Krpc.decode(b(wire), t -> m);
        JsonObject.Builder v = JsonObject.builder().put("name", name).put("hex", Hex.encode(b(wire)));
        if (m != null) v.put("method", m.wireName);
        vectors.add(v.put("valid", true).put("decoded", KrpcJson.describe(back)).build());
    }

    private void invalid(String name, byte[] wire, Method m) {
        KrpcException e = assertThrows(KrpcException.class, () -> Krpc.decode(wire, t -> m), name);
        JsonObject.Builder v = JsonObject.builder().put("name", name + " (" + e.text() + ")").put("hex", Hex.encode(wire));
        if (m != null) v.put("method", m.wireName);
        vectors.add(v.put("valid", false).put("error", e.code()).build());
    }

    private void store(String name, Put put) {
        byte[] wire = Krpc.encode(new Krpc.Packet(T, put));
        vectors.add(JsonObject.builder().put("name", name).put("hex", Hex.encode(wire)).put("valid", StoreRules.check(put) == 0)
                .put("store_error", StoreRules.check(put)).build());
    }

    private static Method methodOf(Response r) {
        return switch (r) {
            case PingResponse x -> Method.PING;
            case FindNodeResponse x -> Method.FIND_NODE;
            case GetPeersResponse x -> Method.GET_PEERS;
            case AnnouncePeerResponse x -> Method.ANNOUNCE_PEER;
            case GetResponse x -> Method.GET;
            case PutResponse x -> Method.PUT;
        };
    }

    static Put mutablePut(byte[] salt, BValue v, long seq, Long cas) {
        byte[] sig = KEY.sign(Bep44.signedBuffer(salt, seq, Bencode.encode(v)));
        return new Put(A, TOKEN, v, KEY.publicKey(), salt, seq, sig, cas);
    }

    JsonObject generate() throws Exception {
        InetSocketAddress peer1 = new InetSocketAddress("192.0.2.1", 6881);
        InetSocketAddress peer2 = new InetSocketAddress("192.0.2.2", 51413);
        NodeInfo n1 = new NodeInfo(B, new InetSocketAddress("198.51.100.7", 6881));
        NodeInfo n2 = new NodeInfo(new NodeId(b("0123456789abcdefghij")), new InetSocketAddress("203.0.113.9", 1234));
        NodeId target = new NodeId(Bep44.mutableTarget(KEY.publicKey(), b("salt")));
        BValue hello = BBytes.of("Hello World!");
        Put mutable = mutablePut(b("foobar"), hello, 4, 3L);
        // BEP 5's own examples
        validRaw("BEP 5 ping query", "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe", null);
        validRaw("BEP 5 ping response", "d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re", Method.PING);
        validRaw("BEP 5 find_node query", "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe", null);
        validRaw("BEP 5 get_peers query", "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe", null);
        validRaw("BEP 5 get_peers response with values", "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re", Method.GET_PEERS);
        validRaw("BEP 5 announce_peer query", "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe", null);
        validRaw("BEP 5 error", "d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee", null);
        // every message kind as we send it: our v, BEP 43 ro, BEP 42 ip
        valid("ping query, read-only, our version", new Krpc.Packet(T, new Ping(A), DhtNode.VERSION, true, null));
        valid("ping response with ip", new Krpc.Packet(T, new PingResponse(B), DhtNode.VERSION, false, peer1));
        valid("find_node response with two nodes", new Krpc.Packet(T, new FindNodeResponse(B, List.of(n1, n2))));
        valid("get_peers response with nodes only", new Krpc.Packet(T, new GetPeersResponse(B, TOKEN, List.of(), List.of(n1))));
        valid("get_peers response with values and nodes", new Krpc.Packet(T, new GetPeersResponse(B, TOKEN, List.of(peer1, peer2), List.of(n2))));
        valid("announce_peer query with explicit port", new Krpc.Packet(T, new AnnouncePeer(A, B, 51413, false, TOKEN)));
        valid("announce_peer response", new Krpc.Packet(T, new AnnouncePeerResponse(B)));
        valid("get query", new Krpc.Packet(T, new Get(A, target, null)));
        valid("get query with seq", new Krpc.Packet(T, new Get(A, target, 3L)));
        valid("get response, immutable item", new Krpc.Packet(T, new GetResponse(B, TOKEN, List.of(n1), hello, null, null, null)));
        valid("get response, mutable item", new Krpc.Packet(T, new GetResponse(B, TOKEN, List.of(), mutable.value(), mutable.publicKey(), 4L, mutable.signature())));
        valid("get response, seq only (querier is up to date)", new Krpc.Packet(T, new GetResponse(B, TOKEN, List.of(n1), null, null, 4L, null)));
        valid("put query, immutable", new Krpc.Packet(T, new Put(A, TOKEN, hello, null, null, 0, null, null)));
        valid("put query, mutable with salt and cas", new Krpc.Packet(T, mutable));
        valid("put query, mutable without salt", new Krpc.Packet(T, mutablePut(new byte[0], BList(), 1, null)));
        valid("put response", new Krpc.Packet(T, new PutResponse(B)));
        // BEP 32: IPv6 contacts in nodes6, 18-byte peers and ip
        NodeInfo n6 = new NodeInfo(new NodeId(b("9876543210zyxwvutsrq")), new InetSocketAddress("2001:db8::7", 6881));
        InetSocketAddress peer6 = new InetSocketAddress("2001:db8::1", 51413);
        valid("find_node response with an IPv6 node (nodes6)", new Krpc.Packet(T, new FindNodeResponse(B, List.of(n6))));
        valid("get_peers response with IPv4 and IPv6 nodes, an IPv6 peer and ip", new Krpc.Packet(T, new GetPeersResponse(B, TOKEN, List.of(peer6), List.of(n1, n6)), null, false, peer6));
        for (int code : new int[] {201, 202, 203, 204, 205, 206, 207, 301, 302})
            valid("error " + code, new Krpc.Packet(T, new KrpcMessage.Error(code, errorText(code)), DhtNode.VERSION, false, null));
        // invalid packets and the error a node answers (when it has a transaction id to answer to)
        invalid("not bencoded", b("hello"), null);
        invalid("trailing bytes after the message", b("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qexx"), null);
        invalid("keys not sorted", b("d1:q4:ping1:ad2:id20:abcdefghij0123456789e1:t2:aa1:y1:qe"), null);
        invalid("top level is a list", b("l1:ae"), null);
        invalid("no transaction id", b("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:y1:qe"), null);
        invalid("transaction id longer than 16 bytes", b("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t17:aaaaaaaaaaaaaaaaa1:y1:qe"), null);
        invalid("unknown y", b("d1:t2:aa1:y1:xe"), null);
        invalid("unknown method", b("d1:ad2:id20:abcdefghij0123456789e1:q6:frob121:t2:aa1:y1:qe"), null);
        invalid("id of 19 bytes", b("d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe"), null);
        invalid("a is not a dictionary", b("d1:a2:id1:q4:ping1:t2:aa1:y1:qe"), null);
        invalid("find_node without target", b("d1:ad2:id20:abcdefghij0123456789e1:q9:find_node1:t2:aa1:y1:qe"), null);
        invalid("announce_peer without port", b("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234565:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe"), null);
        invalid("announce_peer port out of range", b("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti65536e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe"), null);
        invalid("put with sig but no k", b("d1:ad2:id20:abcdefghij01234567893:sig64:" + "x".repeat(64) + "5:token8:aoeusnth1:v1:xe1:q3:put1:t2:aa1:y1:qe"), null);
        invalid("put mutable without sig", b("d1:ad2:id20:abcdefghij01234567891:k32:" + "k".repeat(32) + "3:seqi1e5:token8:aoeusnth1:v1:xe1:q3:put1:t2:aa1:y1:qe"), null);
        invalid("put with k of 31 bytes", b("d1:ad2:id20:abcdefghij01234567891:k31:" + "k".repeat(31) + "3:seqi1e3:sig64:" + "x".repeat(64) + "5:token8:aoeusnth1:v1:xe1:q3:put1:t2:aa1:y1:qe"), null);
        invalid("find_node response with nodes of 25 bytes", b("d1:rd2:id20:mnopqrstuvwxyz1234565:nodes25:" + "n".repeat(25) + "e1:t2:aa1:y1:re"), Method.FIND_NODE);
        invalid("find_node response with nodes6 of 37 bytes", b("d1:rd2:id20:mnopqrstuvwxyz1234566:nodes637:" + "n".repeat(37) + "e1:t2:aa1:y1:re"), Method.FIND_NODE);
        invalid("response to an unknown transaction", b("d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re"), null);
        invalid("datagram larger than 2048 bytes", b("d1:ad2:id20:abcdefghij01234567891:x2000:" + "x".repeat(2000) + "e1:q4:ping1:t2:aa1:y1:qe"), null);
        // BEP 44 storage rules on well-formed puts
        store("put of a valid mutable item", mutable);
        store("put with a bad signature (206)", new Put(A, TOKEN, BBytes.of("Hello World?"), KEY.publicKey(), b("foobar"), 4, mutable.signature(), null));
        store("put with salt of 65 bytes (207)", mutablePut(new byte[65], hello, 1, null));
        store("put with v of 1001 bytes (205)", new Put(A, TOKEN, new BBytes(new byte[996]), null, null, 0, null, null));
        store("put of an immutable item of 1000 bytes", new Put(A, TOKEN, new BBytes(new byte[995]), null, null, 0, null, null));
        return JsonObject.builder().put("suite", "krpc")
                .put("source", "generated by io.megatorrent.dht.Krpc (KrpcVectorsTest) with fixed ids, tokens and the Ed25519 seed 01x32; BEP 5 examples verbatim")
                .put("vectors", new JsonValue.JsonArray(vectors)).build();
    }

    private static BValue BList() {
        return new BValue.BList(List.of(BBytes.of("a"), new BValue.BInt(1), BDict.builder().put("k", "v").build()));
    }

    private static String errorText(int code) {
        return switch (code) {
            case 201 -> "A Generic Error Ocurred";
            case 202 -> "storage full";
            case 203 -> "bad token";
            case 204 -> "method unknown: frob";
            case 205 -> "message (v field) too big";
            case 206 -> "invalid signature";
            case 207 -> "salt (salt field) too big";
            case 301 -> "CAS mismatch: stored seq is 3";
            default -> "sequence number less than current";
        };
    }

    @Test
    void committedVectorsAreWhatTheCodecGenerates() throws Exception {
        String text = Json.writePretty(generate()) + "\n";
        Path file = Peers.projectDir().resolve("test-vectors").resolve("krpc.json");
        if (Boolean.getBoolean("krpc.vectors.write")) {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        }
        assertEquals(text, Files.readString(file), "test-vectors/krpc.json is stale: rerun with -Dkrpc.vectors.write=true");
        Conformance.FileResult r = Conformance.runFile(file);
        assertEquals(List.of(), r.failures());
        assertEquals(vectors.size(), r.passed());
    }
}
