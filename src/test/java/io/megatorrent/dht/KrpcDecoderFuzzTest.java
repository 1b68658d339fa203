package io.megatorrent.dht;

import io.megatorrent.codec.BValue;
import io.megatorrent.codec.Bencode;
import io.megatorrent.codec.CodecException;
import io.megatorrent.testing.Fuzz;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fuzzes the bencode and KRPC decoders in-process (FuzzTest sends datagrams to a live node). */
class KrpcDecoderFuzzTest {
    static List<byte[]> seeds() {
        NodeId a = NodeId.random();
        NodeId t = NodeId.random();
        InetSocketAddress peer = new InetSocketAddress("10.0.0.1", 6881);
        List<KrpcMessage> messages = List.of(
                new KrpcMessage.Ping(a), new KrpcMessage.FindNode(a, t), new KrpcMessage.GetPeers(a, t),
                new KrpcMessage.AnnouncePeer(a, t, 6881, false, new byte[] {1, 2}), new KrpcMessage.Get(a, t, 3L),
                new KrpcMessage.Put(a, new byte[] {1}, BValue.BBytes.of("v"), null, null, 0, null, null),
                new KrpcMessage.PingResponse(a), new KrpcMessage.FindNodeResponse(a, List.of(new NodeInfo(t, peer))),
                new KrpcMessage.GetPeersResponse(a, new byte[] {9}, List.of(peer), List.of(new NodeInfo(t, peer))),
                new KrpcMessage.Error(201, "generic"));
        return messages.stream().map(m -> Krpc.encode(new Krpc.Packet(new byte[] {'a', 'a'}, m))).toList();
    }

    @Test
    void bencodeDecoder() {
        Fuzz.run("bencode", 50_000, 6, seeds(), Krpc.MAX_DATAGRAM_LENGTH, 64 << 10, 32, Bencode::decode, CodecException.class);
    }

    @Test
    void krpcDecoder() {
        List<byte[]> seeds = seeds();
        Fuzz.run("KRPC", 50_000, 7, seeds, Krpc.MAX_DATAGRAM_LENGTH, 64 << 10, 32, input -> {
            BValue.BDict top = Bencode.decodeDict(input);
            Krpc.decode(top, tid -> KrpcMessage.Method.values()[tid.length % KrpcMessage.Method.values().length]);
        }, CodecException.class, KrpcException.class);
    }
}
