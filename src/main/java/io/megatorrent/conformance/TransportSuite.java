package io.megatorrent.conformance;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.X25519;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Framing;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.Noise;
import io.megatorrent.transport.ProtocolException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Our suites "handshake" and "framing" (PROTOCOL_FINAL.md Appendix A.1): the v6 handshake with
 * fixed keys, byte for byte on the wire, and protocol messages sealed into frames.
 */
final class TransportSuite implements Suite {
    @Override
    public void check(String suiteName, JsonObject v) throws Exception {
        switch (suiteName) {
            case "handshake" -> handshake(v);
            case "framing" -> framing(v);
            default -> throw new AssertionError("TransportSuite does not run suite " + suiteName);
        }
    }

    // ------------------------------------------------------------------ handshake

    private static void handshake(JsonObject v) throws Exception {
        boolean ik = switch (v.string("pattern")) {
            case "XX" -> false;
            case "IK" -> true;
            default -> throw new AssertionError("pattern must be XX or IK");
        };
        boolean valid = valid(v);
        Noise.Protocol protocol = ik ? Connection.IK : Connection.XX;
        Noise.HandshakeState init = new Noise.HandshakeState(protocol, true, hex(v, "init_prologue"),
                key(v, "init_static"), key(v, "init_ephemeral"), ik ? hex(v, "init_remote_static") : null);
        Noise.HandshakeState resp = new Noise.HandshakeState(protocol, false, hex(v, "resp_prologue"),
                key(v, "resp_static"), key(v, "resp_ephemeral"), null);
        List<JsonValue> frames = v.array("frames").items();
        int failsAt = valid ? -1 : (int) v.integer("fails_at");
        for (int i = 0; i < protocol.pattern().length(); i++) {
            boolean fromInitiator = i % 2 == 0;
            Noise.HandshakeState writer = fromInitiator ? init : resp;
            Noise.HandshakeState reader = fromInitiator ? resp : init;
            byte[] noise = writer.writeMessage(new byte[0]);
            byte[] wire = i == 0 ? Connection.firstHandshakeFrame(ik, noise) : Framing.handshakeFrame(noise);
            Tally.require(i < frames.size(), "fewer frames than the pattern has messages");
            Tally.requireEqualHex(((JsonValue.JsonString) frames.get(i)).value(), Hex.encode(wire), "frame " + i);
            byte[] body = Arrays.copyOfRange(wire, Framing.FRAME_LENGTH_PREFIX, wire.length);
            if (i == 0) {
                Tally.require(Connection.patternOf(body) == protocol, "pattern byte");
                body = Arrays.copyOfRange(body, 1, body.length);
            }
            if (i == failsAt) {
                try {
                    reader.readMessage(body);
                } catch (io.megatorrent.crypto.CryptoException expected) {
                    Tally.require(frames.size() == i + 1, "frames listed after the failing one");
                    return;
                }
                throw new AssertionError("frame " + i + " was accepted but the vector says it fails");
            }
            Tally.require(reader.readMessage(body).length == 0, "handshake payload not empty");
        }
        Tally.require(valid, "handshake completed but the vector says it fails at frame " + failsAt);
        Tally.require(frames.size() == protocol.pattern().length(), "more frames than the pattern has messages");
        transport(v, init.split(), resp.split());
    }

    // ------------------------------------------------------------------ framing

    /**
     * After a handshake both vector suites run: the handshake hash and static keys each side
     * saw, then each transport message sealed to the listed wire and read back.
     */
    static void transport(JsonObject v, Noise.Transport i, Noise.Transport r) throws Exception {
        Tally.requireEqualHex(v.string("handshake_hash"), Hex.encode(i.handshakeHash()), "initiator handshake hash");
        Tally.requireEqualHex(v.string("handshake_hash"), Hex.encode(r.handshakeHash()), "responder handshake hash");
        Tally.requireEqualHex(v.string("resp_public"), Hex.encode(i.remoteStatic()), "responder key seen by the initiator");
        Tally.requireEqualHex(v.string("init_public"), Hex.encode(r.remoteStatic()), "initiator key seen by the responder");
        Framing.Sealer[] sealers = {new Framing.Sealer(i.send()), new Framing.Sealer(r.send())};
        Framing.Opener[] openers = {new Framing.Opener(r.receive()), new Framing.Opener(i.receive())};
        for (JsonValue t : v.array("transport").items()) {
            JsonObject m = (JsonObject) t;
            int side = switch (m.string("from")) {
                case "initiator" -> 0;
                case "responder" -> 1;
                default -> throw new AssertionError("from must be initiator or responder");
            };
            byte[] message = Hex.decode(m.string("message"));
            byte[] wire = sealers[side].seal(message);
            Tally.requireEqualHex(m.string("wire"), Hex.encode(wire), "transport wire from the " + m.string("from"));
            byte[] back = openers[side].read(new ByteArrayInputStream(wire));
            Tally.requireEqualHex(Hex.encode(message), Hex.encode(back), "transport message read back");
        }
    }

    private static void framing(JsonObject v) throws Exception {
        byte[] key = Hex.decode(v.string("key"), 32, "key");
        long nonce = v.integer("nonce");
        byte[] wire = Hex.decode(v.string("wire"));
        if (valid(v)) {
            List<byte[]> messages = new ArrayList<>();
            for (JsonValue m : v.array("messages").items()) messages.add(Hex.decode(((JsonValue.JsonString) m).value()));
            Framing.Sealer sealer = new Framing.Sealer(new Noise.CipherState(key, nonce));
            ByteArrayOutputStream sealed = new ByteArrayOutputStream();
            for (byte[] m : messages) {
                Tally.requireEqualHex(Hex.encode(m), Hex.encode(Message.encode(Message.decode(m))), "message decodes and re-encodes to itself");
                sealed.writeBytes(sealer.seal(m));
            }
            Tally.requireEqualHex(v.string("wire"), Hex.encode(sealed.toByteArray()), "sealed wire");
            ByteArrayInputStream in = new ByteArrayInputStream(wire);
            Framing.Opener opener = new Framing.Opener(new Noise.CipherState(key, nonce));
            for (byte[] m : messages) Tally.requireEqualHex(Hex.encode(m), Hex.encode(opener.read(in)), "message read from the wire");
            Tally.require(opener.read(in) == null, "bytes left after the last message");
        } else {
            ByteArrayInputStream in = new ByteArrayInputStream(wire);
            Framing.Opener opener = new Framing.Opener(new Noise.CipherState(key, nonce));
            String field = v.string("error_field");
            try {
                byte[] m;
                while ((m = opener.read(in)) != null) Message.decode(m);
            } catch (ProtocolException e) {
                Tally.require(e.field().equals(field), "rejected for '" + e.field() + "' (" + e.getMessage() + "), vector expects '" + field + "'");
                return;
            }
            throw new AssertionError("wire was accepted but the vector says it is rejected (" + field + ")");
        }
    }

    private static boolean valid(JsonObject v) throws CodecException {
        return !v.has("valid") || v.bool("valid");
    }

    private static byte[] hex(JsonObject v, String key) throws CodecException {
        return Hex.decode(v.string(key));
    }

    private static X25519.KeyPair key(JsonObject v, String key) throws CodecException {
        return X25519.fromPrivate(Hex.decode(v.string(key), 32, key));
    }
}
