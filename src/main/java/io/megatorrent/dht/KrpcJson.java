package io.megatorrent.dht;

import io.megatorrent.codec.Bencode;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.codec.JsonValue.JsonString;
import io.megatorrent.dht.KrpcMessage.*;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A decoded KRPC packet as JSON, the "decoded" expectation of the krpc test vectors (Appendix A):
 * byte strings as lowercase hex, a BEP 44 v as the hex of its bencoding, nodes as
 * {"id","addr"}, peers and addresses as "ip:port".
 */
public final class KrpcJson {
    private KrpcJson() {}

    public static JsonObject describe(Krpc.Packet p) {
        JsonObject.Builder b = JsonObject.builder().put("t", Hex.encode(p.transactionId()));
        if (p.version() != null) b.put("v", Hex.encode(p.version()));
        switch (p.message()) {
            case Query q -> {
                b.put("y", "q").put("q", q.method().wireName);
                if (p.readOnly()) b.put("ro", true);
                b.put("a", arguments(q));
            }
            case Response r -> {
                b.put("y", "r");
                if (p.ip() != null) b.put("ip", addr(p.ip()));
                b.put("r", values(r));
            }
            case KrpcMessage.Error e -> b.put("y", "e").put("e", new JsonArray(List.of(JsonValue.JsonNumber.of(e.code()), new JsonString(e.message()))));
        }
        return b.build();
    }

    private static JsonObject arguments(Query q) {
        JsonObject.Builder a = JsonObject.builder().put("id", q.id().toString());
        switch (q) {
            case Ping p -> {}
            case FindNode f -> a.put("target", f.target().toString());
            case GetPeers g -> a.put("info_hash", g.infohash().toString());
            case AnnouncePeer an -> a.put("info_hash", an.infohash().toString()).put("port", an.port())
                    .put("implied_port", an.impliedPort()).put("token", Hex.encode(an.token()));
            case Get g -> {
                a.put("target", g.target().toString());
                if (g.seq() != null) a.put("seq", g.seq());
            }
            case Put put -> {
                a.put("token", Hex.encode(put.token())).put("v", Hex.encode(Bencode.encode(put.value())));
                if (put.mutable()) {
                    a.put("k", Hex.encode(put.publicKey())).put("salt", Hex.encode(put.salt())).put("seq", put.seq())
                            .put("sig", Hex.encode(put.signature()));
                    if (put.cas() != null) a.put("cas", put.cas());
                }
            }
        }
        return a.build();
    }

    private static JsonObject values(Response r) {
        JsonObject.Builder b = JsonObject.builder().put("id", r.id().toString());
        switch (r) {
            case PingResponse p -> {}
            case AnnouncePeerResponse p -> {}
            case PutResponse p -> {}
            case FindNodeResponse f -> b.put("nodes", nodes(f.nodes()));
            case GetPeersResponse g -> {
                if (g.token() != null) b.put("token", Hex.encode(g.token()));
                b.put("nodes", nodes(g.nodes()));
                List<JsonValue> peers = new ArrayList<>();
                for (InetSocketAddress a : g.peers()) peers.add(new JsonString(addr(a)));
                b.put("values", new JsonArray(peers));
            }
            case GetResponse g -> {
                if (g.token() != null) b.put("token", Hex.encode(g.token()));
                b.put("nodes", nodes(g.nodes()));
                if (g.value() != null) b.put("v", Hex.encode(Bencode.encode(g.value())));
                if (g.publicKey() != null) b.put("k", Hex.encode(g.publicKey()));
                if (g.seq() != null) b.put("seq", g.seq());
                if (g.signature() != null) b.put("sig", Hex.encode(g.signature()));
            }
        }
        return b.build();
    }

    private static JsonArray nodes(List<NodeInfo> nodes) {
        List<JsonValue> out = new ArrayList<>();
        for (NodeInfo n : nodes) out.add(JsonObject.builder().put("id", n.id().toString()).put("addr", addr(n.address())).build());
        return new JsonArray(out);
    }

    private static String addr(InetSocketAddress a) {
        return NodeInfo.format(a);
    }
}
