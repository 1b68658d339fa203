package io.megatorrent.transport;

import io.megatorrent.crypto.CryptoException;
import io.megatorrent.crypto.X25519;
import io.megatorrent.testing.Fuzz;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fuzzes the frame, message and handshake decoders (issue 11); counts: {@link Fuzz#inputs}. */
class TransportDecodersFuzzTest {
    private static final byte[] KEY = new byte[32];
    private static final X25519.KeyPair RESPONDER = X25519.generate();

    private static List<Message> messages() {
        return List.of(
                new Message.Hello(Message.PROTOCOL_VERSION, 6881, List.of(new Message.ChannelSeq(new byte[32], 7))),
                new Message.Request(5, new byte[Message.ID_LENGTH]),
                new Message.Data(6, new byte[300]),
                new Message.FindPeers(7, new byte[Message.ID_LENGTH]),
                new Message.Peers(8, List.of(new Message.PeerEntry(new PeerAddress("10.1.2.3", 6881), new byte[32]),
                        new Message.PeerEntry(new PeerAddress("peer.example", 1), null))),
                new Message.Announce(List.of(new byte[Message.ID_LENGTH], new byte[Message.ID_LENGTH])),
                new Message.Ok(9),
                new Message.DhtQuery(10, new InetSocketAddress("127.0.0.1", 6881), new byte[] {'d', 'e'}),
                new Message.DhtResponse(11, new byte[] {'d', 'e'}),
                new Message.Error(12, Message.Error.NOT_FOUND, "not here"));
    }

    @Test
    void messageDecoder() {
        List<byte[]> seeds = messages().stream().map(Message::encode).toList();
        Fuzz.run("message", 50_000, 1, seeds, 4096, 64 << 10, 16, Message::decode, ProtocolException.class);
    }

    @Test
    void frameDecoder() {
        List<byte[]> seeds = new ArrayList<>();
        for (Message m : messages()) seeds.add(new Framing.Sealer(new Noise.CipherState(KEY, 0)).seal(Message.encode(m)));
        seeds.add(concat(seeds.get(0), new Framing.Sealer(new Noise.CipherState(KEY, 1)).seal(Message.encode(messages().get(1)))));
        // the Opener's own buffers (about 192 KiB) and one frame's decryption; never a declared length
        Fuzz.run("frame", 5_000, 2, seeds, 4096, 1 << 20, 16, input -> {
            Framing.Opener opener = new Framing.Opener(new Noise.CipherState(KEY, 0));
            ByteArrayInputStream in = new ByteArrayInputStream(input);
            while (opener.readMessage(in) != null) {
                // every message the input holds
            }
        }, IOException.class);
    }

    @Test
    void handshakeDecoder() throws Exception {
        List<byte[]> seeds = new ArrayList<>();
        Noise.HandshakeState xx = new Noise.HandshakeState(Connection.XX, true, Connection.PROLOGUE, X25519.generate(), null, null);
        seeds.add(Connection.firstHandshakeFrame(false, xx.writeMessage(new byte[0])));
        Noise.HandshakeState ik = new Noise.HandshakeState(Connection.IK, true, Connection.PROLOGUE, X25519.generate(), null, RESPONDER.publicKey());
        seeds.add(Connection.firstHandshakeFrame(true, ik.writeMessage(new byte[0])));
        Fuzz.run("handshake", 5_000, 3, seeds, 512, 256 << 10, 16, input -> {
            byte[] first = Framing.readHandshakeFrame(new ByteArrayInputStream(input), Connection.MAX_HANDSHAKE_FRAME);
            Noise.Protocol protocol = Connection.patternOf(first);
            Noise.HandshakeState hs = new Noise.HandshakeState(protocol, false, Connection.PROLOGUE, RESPONDER, null, null);
            hs.readMessage(java.util.Arrays.copyOfRange(first, 1, first.length));
        }, IOException.class, CryptoException.class);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
