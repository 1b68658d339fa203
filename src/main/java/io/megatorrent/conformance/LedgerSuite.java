package io.megatorrent.conformance;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.codec.JsonValue.JsonString;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.crypto.Hashes;
import io.megatorrent.ledger.Block;
import io.megatorrent.ledger.Ledger;
import io.megatorrent.ledger.LedgerException;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.ProtocolException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code ledger} (PROTOCOL_FINAL.md 8): vectors of kind {@code block}, {@code chain},
 * {@code fork}, {@code message}, {@code session} and {@code trust}. Appendix A states the checks.
 */
final class LedgerSuite implements Suite {
    @Override
    public void check(String suiteName, JsonObject v) throws Exception {
        switch (v.string("kind")) {
            case "block" -> checkBlock(v);
            case "chain" -> checkChain(v);
            case "fork" -> checkFork(v);
            case "message" -> checkMessage(v);
            case "session" -> checkSession(v);
            case "trust" -> checkTrust(v);
            default -> throw new AssertionError("unknown ledger vector kind '" + v.string("kind") + "'");
        }
    }

    private static boolean valid(JsonObject v) throws CodecException {
        return !v.has("valid") || v.bool("valid");
    }

    private static void checkBlock(JsonObject v) throws Exception {
        byte[] bytes = Hex.decode(v.string("block"));
        if (!valid(v)) {
            String field;
            try {
                Block b = Block.decode(bytes);
                Tally.require(!b.signatureValid(), "invalid block accepted: decodes and its signature verifies");
                field = "signature";
            } catch (LedgerException e) {
                field = e.field();
            }
            if (v.has("field")) Tally.require(field.equals(v.string("field")), "rejected for field '" + field + "', expected '" + v.string("field") + "'");
            return;
        }
        Block b = Block.decode(bytes);
        Tally.require(b.signatureValid(), "signature does not verify");
        Tally.requireEqualHex(v.string("block"), Hex.encode(b.encode()), "re-encoded block");
        Tally.requireEqualHex(v.string("hash"), Hex.encode(Hashes.sha256(bytes)), "hash");
        Tally.requireEqualHex(v.string("hash"), Hex.encode(b.hash()), "block hash");
        Ed25519.KeyPair key = Ed25519.fromSeed(Hex.decode(v.string("seed"), 32, "seed"));
        Block signed = Block.sign(key, v.integer("seq"), Hex.decode(v.string("counterparty"), 32, "counterparty"), v.integer("counterpartySeq"),
                Hex.decode(v.string("previousHash"), 32, "previousHash"),
                v.integer("bytesGiven"), v.integer("blobsGiven"), v.integer("bytesTaken"), v.integer("blobsTaken"));
        Tally.requireEqualHex(v.string("block"), Hex.encode(signed.encode()), "block signed from the fields");
    }

    private static List<Block> blocks(JsonObject v) throws CodecException {
        List<Block> out = new ArrayList<>();
        for (JsonValue item : v.array("blocks").items()) {
            if (!(item instanceof JsonString s)) throw new CodecException("block is not a hex string", 0);
            out.add(Block.decode(Hex.decode(s.value())));
        }
        return out;
    }

    private static void checkChain(JsonObject v) throws Exception {
        byte[] creator = Hex.decode(v.string("public"), 32, "public");
        if (!valid(v)) {
            try {
                Ledger.verifyChain(blocks(v), creator);
            } catch (LedgerException e) {
                if (v.has("field")) Tally.require(e.field().equals(v.string("field")), "rejected for field '" + e.field() + "', expected '" + v.string("field") + "': " + e.getMessage());
                return;
            }
            throw new AssertionError("invalid chain verified");
        }
        Ledger.verifyChain(blocks(v), creator);
    }

    private static void checkFork(JsonObject v) throws Exception {
        List<Block> b = blocks(v);
        Tally.require(b.size() == 2, "a fork vector holds two blocks");
        Block x = b.get(0);
        Block y = b.get(1);
        boolean proof = x.signatureValid() && y.signatureValid() && java.util.Arrays.equals(x.creator(), y.creator()) && x.seq() == y.seq() && !x.equals(y);
        Tally.require(proof == v.bool("proof"), "double-sign proof: expected " + v.bool("proof") + ", got " + proof);
    }

    private static void checkMessage(JsonObject v) throws Exception {
        byte[] bytes = Hex.decode(v.string("hex"));
        if (!valid(v)) {
            try {
                Message.decode(bytes);
            } catch (ProtocolException e) {
                if (v.has("field")) Tally.require(e.field().equals(v.string("field")), "rejected for field '" + e.field() + "', expected '" + v.string("field") + "': " + e.getMessage());
                return;
            }
            throw new AssertionError("invalid message accepted");
        }
        Message m = Message.decode(bytes);
        Tally.require(Message.typeOf(m) == (byte) v.integer("type"), "type " + Message.typeOf(m));
        Tally.requireEqualHex(v.string("hex"), Hex.encode(Message.encode(m)), "re-encoded message");
    }

    private static void checkSession(JsonObject v) throws Exception {
        Ed25519.KeyPair key = Ed25519.fromSeed(Hex.decode(v.string("seed"), 32, "seed"));
        Tally.requireEqualHex(v.string("public"), Hex.encode(key.publicKey()), "public");
        byte[] h = Hex.decode(v.string("handshakeHash"), 64, "handshakeHash");
        byte[] proof = Hex.decode(v.string("proof"), 64, "proof");
        Tally.require(Ledger.sessionProofValid(key.publicKey(), h, proof), "session proof does not verify");
        byte[] message = concat(Hex.decode(v.string("context")), h);
        Tally.requireEqualHex(v.string("proof"), Hex.encode(key.sign(message)), "session proof signed over context || handshake hash");
    }

    private static void checkTrust(JsonObject v) throws Exception {
        List<Block> b = blocks(v);
        for (Block x : b) Tally.require(x.signatureValid(), "block " + x + " does not verify");
        Map<String, Long> scores = Ledger.scoresOver(Hex.decode(v.string("self"), 32, "self"), b);
        JsonObject expected = v.object("scores");
        for (Map.Entry<String, JsonValue> e : expected.members().entrySet()) {
            long want = ((JsonValue.JsonNumber) e.getValue()).asLong("score");
            long got = scores.getOrDefault(e.getKey(), 0L);
            Tally.require(want == got, "score of " + e.getKey() + ": expected " + want + ", got " + got);
        }
        if (v.has("balance")) {
            long balance = Ledger.balanceOver(Hex.decode(v.string("self"), 32, "self"), b);
            Tally.require(balance == v.integer("balance"), "balance: expected " + v.integer("balance") + ", got " + balance);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
