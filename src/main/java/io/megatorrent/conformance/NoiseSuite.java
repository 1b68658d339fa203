package io.megatorrent.conformance;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.X25519;
import io.megatorrent.transport.Noise;

/**
 * Cacophony-format Noise vectors: both parties run the handshake with the vector's keys and
 * ephemerals; every message must encrypt to the given ciphertext and decrypt back to the payload
 * on the other side, and both must end with the given handshake hash when the vector has one. After the pattern the
 * messages are transport messages, alternating initiator and responder as the vector says.
 */
final class NoiseSuite implements Suite {
    @Override
    public void check(String suiteName, JsonObject v) throws Exception {
        runVector(v);
    }

    private static void runVector(JsonObject v) throws Exception {
        Noise.Protocol protocol = Noise.Protocol.parse(v.string("protocol_name"));
        Noise.HandshakeState init = new Noise.HandshakeState(protocol, true, hex(v, "init_prologue"),
                key(v, "init_static"), key(v, "init_ephemeral"), optHex(v, "init_remote_static"));
        Noise.HandshakeState resp = new Noise.HandshakeState(protocol, false, hex(v, "resp_prologue"),
                key(v, "resp_static"), key(v, "resp_ephemeral"), optHex(v, "resp_remote_static"));
        Noise.Transport initT = null;
        Noise.Transport respT = null;
        int index = 0;
        for (JsonValue m : v.array("messages").items()) {
            JsonObject msg = (JsonObject) m;
            byte[] payload = Hex.decode(msg.string("payload"));
            String expected = msg.string("ciphertext");
            boolean fromInitiator = index % 2 == 0;
            String what = "message " + index + " (" + (fromInitiator ? "initiator" : "responder") + ")";
            byte[] ct;
            byte[] back;
            if (index < protocol.pattern().length()) {
                Noise.HandshakeState writer = fromInitiator ? init : resp;
                Noise.HandshakeState reader = fromInitiator ? resp : init;
                ct = writer.writeMessage(payload);
                Tally.requireEqualHex(expected, Hex.encode(ct), what + " ciphertext");
                back = reader.readMessage(ct);
                if (init.isComplete() && resp.isComplete()) {
                    initT = init.split();
                    respT = resp.split();
                    // Optional in the public format: without it the vector is pinned by its messages alone.
                    if (v.has("handshake_hash")) {
                        Tally.requireEqualHex(v.string("handshake_hash"), Hex.encode(initT.handshakeHash()), "initiator handshake hash");
                        Tally.requireEqualHex(v.string("handshake_hash"), Hex.encode(respT.handshakeHash()), "responder handshake hash");
                    }
                }
            } else {
                Tally.require(initT != null, "transport message before the handshake completed");
                Noise.Transport writer = fromInitiator ? initT : respT;
                Noise.Transport reader = fromInitiator ? respT : initT;
                ct = writer.send().encryptWithAd(new byte[0], payload);
                Tally.requireEqualHex(expected, Hex.encode(ct), what + " ciphertext");
                back = reader.receive().decryptWithAd(new byte[0], ct);
            }
            Tally.requireEqualHex(Hex.encode(payload), Hex.encode(back), what + " decrypted payload");
            index++;
        }
        Tally.require(initT != null, "vector ends before the handshake completes");
    }

    private static byte[] hex(JsonObject v, String key) throws Exception {
        return v.has(key) ? Hex.decode(v.string(key)) : new byte[0];
    }

    private static byte[] optHex(JsonObject v, String key) throws Exception {
        return v.has(key) ? Hex.decode(v.string(key)) : null;
    }

    private static X25519.KeyPair key(JsonObject v, String key) throws Exception {
        return v.has(key) ? X25519.fromPrivate(Hex.decode(v.string(key))) : null;
    }
}
