package io.megatorrent.conformance;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.dht.Krpc;
import io.megatorrent.dht.KrpcException;
import io.megatorrent.dht.KrpcJson;
import io.megatorrent.dht.KrpcMessage;
import io.megatorrent.dht.StoreRules;
import java.util.Arrays;

/**
 * {@code krpc}: {"hex", "method" (for responses, the method of the query they answer),
 * "valid", "decoded" (valid) or "error" (invalid: the KRPC error code the parse or the
 * storage rules give), optional "store_error"}. Valid packets decode to "decoded" and
 * re-encode to "hex" byte for byte.
 */
final class KrpcSuite implements Suite {
    @Override
    public void check(String suiteName, JsonObject v) throws Exception {
        check(v);
    }

    private static void check(JsonObject v) throws Exception {
        byte[] wire = Hex.decode(v.string("hex"));
        KrpcMessage.Method method = v.has("method") ? KrpcMessage.Method.byWireName(v.string("method")) : null;
        boolean valid = !v.has("valid") || v.bool("valid");
        Krpc.Packet packet;
        try {
            packet = Krpc.decode(wire, t -> method);
        } catch (KrpcException e) {
            Tally.require(!valid, "valid packet rejected: " + e.getMessage());
            Tally.require(e.code() == v.integer("error"), "rejected with " + e.code() + ", expected " + v.integer("error") + " (" + e.getMessage() + ")");
            return;
        }
        if (v.has("store_error")) {
            Tally.require(packet.message() instanceof KrpcMessage.Put, "store_error on a packet that is not a put");
            int code = StoreRules.check((KrpcMessage.Put) packet.message());
            Tally.require(code == v.integer("store_error"), "storage rules give " + code + ", expected " + v.integer("store_error"));
            return;
        }
        Tally.require(valid, "invalid packet accepted");
        String decoded = Json.write(KrpcJson.describe(packet));
        Tally.require(decoded.equals(Json.write(v.object("decoded"))), "decoded as " + decoded);
        Tally.requireEqualHex(v.string("hex"), Hex.encode(Krpc.encode(packet)), "re-encoding");
        Tally.require(Arrays.equals(wire, Krpc.encode(packet)), "re-encoding");
    }
}
