package io.megatorrent.conformance;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.CryptoException;
import io.megatorrent.crypto.X25519;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Framing;
import io.megatorrent.transport.Noise;
import java.util.List;

/**
 * Our suite "handshake-hybrid" (PROTOCOL_FINAL.md 4.2 and Appendix A.1): Noise HFS with
 * ML-KEM-768 (XXhfs, IKhfs; SHA256 and BLAKE2b) with fixed ephemerals and fixed KEM inputs,
 * tampered and truncated KEM fields, and the classic handshake after a refused hybrid offer.
 */
final class HybridHandshakeSuite implements Suite {
    @Override
    public void check(String suiteName, JsonObject v) throws Exception {
        Noise.Protocol protocol = Noise.Protocol.parse(v.string("protocol_name"));
        boolean ik = protocol.pattern().classic() == Noise.Pattern.IK;
        boolean valid = !v.has("valid") || v.bool("valid");
        byte[] initPrologue = hex(v, "init_prologue");
        if (v.has("refused_offer")) {
            byte[] offer = hex(v, "refused_offer");
            Tally.requireEqualHex(Hex.encode(Connection.fallbackPrologue(offer)), Hex.encode(initPrologue),
                    "initiator's prologue after the refusal (4.2: v6 prologue || uint16be length || offer || 00)");
            Tally.require(Connection.patternOf(offer).pattern().hybrid(), "the refused offer is a hybrid one");
        }
        Noise.KemRandomness kem = v.has("init_kem_seed")
                ? new Noise.KemRandomness(Hex.decode(v.string("init_kem_seed"), 64, "init_kem_seed"), Hex.decode(v.string("resp_kem_m"), 32, "resp_kem_m"))
                : null;
        Tally.require(protocol.pattern().hybrid() == (kem != null), "init_kem_seed and resp_kem_m go with hybrid protocols only");
        Noise.HandshakeState init = new Noise.HandshakeState(protocol, true, initPrologue, key(v, "init_static"),
                key(v, "init_ephemeral"), ik ? hex(v, "init_remote_static") : null, kem);
        Noise.HandshakeState resp = new Noise.HandshakeState(protocol, false, hex(v, "resp_prologue"), key(v, "resp_static"),
                key(v, "resp_ephemeral"), null, kem);
        List<JsonValue> messages = v.array("messages").items();
        List<JsonValue> frames = v.has("frames") ? v.array("frames").items() : null;
        int failsAt = valid ? -1 : (int) v.integer("fails_at");
        for (int i = 0; i < protocol.pattern().length(); i++) {
            Noise.HandshakeState writer = i % 2 == 0 ? init : resp;
            Noise.HandshakeState reader = i % 2 == 0 ? resp : init;
            Tally.require(i < messages.size(), "fewer messages than the pattern has");
            byte[] listed = Hex.decode(((JsonValue.JsonString) messages.get(i)).value());
            byte[] noise = writer.writeMessage(new byte[0]);
            if (i == failsAt) { // the listed message may be tampered with: it, not ours, goes to the reader
                Tally.require(messages.size() == i + 1, "messages listed after the failing one");
                try {
                    reader.readMessage(listed);
                } catch (CryptoException expected) {
                    return;
                }
                throw new AssertionError("message " + i + " was accepted but the vector says it fails");
            }
            Tally.requireEqualHex(Hex.encode(listed), Hex.encode(noise), "message " + i);
            if (frames != null) {
                byte[] wire = i == 0 ? Connection.firstHandshakeFrame(protocol, noise) : Framing.handshakeFrame(noise);
                Tally.requireEqualHex(((JsonValue.JsonString) frames.get(i)).value(), Hex.encode(wire), "frame " + i);
                Tally.require(wire.length - Framing.FRAME_LENGTH_PREFIX - (i == 0 ? 1 : 0) == protocol.pattern().emptyPayloadLength(i),
                        "frame " + i + " length is the one 4.2's table gives");
            }
            Tally.require(reader.readMessage(noise).length == 0, "handshake payload not empty");
        }
        Tally.require(valid, "handshake completed but the vector says it fails at message " + failsAt);
        Tally.require(messages.size() == protocol.pattern().length(), "more messages than the pattern has");
        TransportSuite.transport(v, init.split(), resp.split());
    }

    private static byte[] hex(JsonObject v, String key) throws CodecException {
        return Hex.decode(v.string(key));
    }

    private static X25519.KeyPair key(JsonObject v, String key) throws CodecException {
        return X25519.fromPrivate(Hex.decode(v.string(key), 32, key));
    }
}
