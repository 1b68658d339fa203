package io.megatorrent.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.codec.JsonValue.JsonString;
import io.megatorrent.conformance.Conformance;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.testing.Peers;
import io.megatorrent.transport.Message;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * test-vectors/ledger.json: regenerated here from fixed seeds and compared with the committed
 * file (run with -Dmegatorrent.writeVectors=true to rewrite it), then run by the conformance runner.
 */
class LedgerVectorsTest {
    static final Path FILE = Peers.projectDir().resolve("test-vectors/ledger.json");
    static final long BLOB = 1048592;
    static final long MIB = 1 << 20;

    static Ed25519.KeyPair key(int fill) {
        byte[] seed = new byte[32];
        Arrays.fill(seed, (byte) fill);
        return Ed25519.fromSeed(seed);
    }

    @Test
    void committedVectorsMatchTheImplementationAndPass() throws Exception {
        String generated = Json.writePretty(generate()) + "\n";
        if (Boolean.getBoolean("megatorrent.writeVectors")) Files.writeString(FILE, generated);
        assertEquals(generated, Files.readString(FILE), "test-vectors/ledger.json is out of date (rerun with -Dmegatorrent.writeVectors=true)");
        Conformance.FileResult r = Conformance.runFile(FILE);
        assertEquals(0, r.failed(), String.join("\n", r.failures()));
        assertTrue(r.passed() >= 30, "vectors run: " + r.passed());
    }

    @Test
    void tamperedCopiesFail() throws Exception {
        JsonObject root = generate();
        List<JsonValue> vectors = new ArrayList<>(((JsonArray) root.get("vectors").orElseThrow()).items());
        int tampered = 0;
        for (int i = 0; i < vectors.size(); i++) {
            JsonObject v = (JsonObject) vectors.get(i);
            String kind = v.string("kind");
            JsonObject.Builder b = JsonObject.builder();
            v.members().forEach(b::put);
            if (kind.equals("block") && (!v.has("valid") || v.bool("valid"))) {
                b.put("hash", flip(v.string("hash")));
            } else if (kind.equals("chain")) {
                b.put("valid", !(!v.has("valid") || v.bool("valid")));
            } else if (kind.equals("fork")) {
                b.put("proof", !v.bool("proof"));
            } else {
                continue;
            }
            vectors.set(i, b.build());
            tampered++;
        }
        Path copy = Files.createTempFile("ledger-vectors", ".json");
        try {
            Files.writeString(copy, Json.write(JsonObject.builder().put("suite", "ledger").put("source", "tampered").put("vectors", new JsonArray(vectors)).build()));
            Conformance.FileResult r = Conformance.runFile(copy);
            assertEquals(tampered, r.failed(), r.failures().toString());
        } finally {
            Files.delete(copy);
        }
    }

    private static String flip(String hex) {
        return (hex.charAt(0) == '0' ? "1" : "0") + hex.substring(1);
    }

    static JsonObject generate() throws Exception {
        List<JsonValue> vs = new ArrayList<>();
        Ed25519.KeyPair a = key(0x11);
        Ed25519.KeyPair b = key(0x22);
        Ed25519.KeyPair c = key(0x33);
        Ed25519.KeyPair f = key(0x44);

        Block a1 = Block.sign(a, 1, b.publicKey(), 0, Block.GENESIS_HASH, 64 * BLOB, 64, 0, 0);
        Block b1 = Block.sign(b, 1, a.publicKey(), 1, Block.GENESIS_HASH, 0, 0, 64 * BLOB, 64);
        Block a2 = Block.sign(a, 2, c.publicKey(), 0, a1.hash(), 3 * BLOB, 3, 0, 0);
        Block a3 = Block.sign(a, 3, b.publicKey(), 0, a2.hash(), 7 * BLOB, 7, 0, 0);
        vs.add(block("a proposal: A gave B 64 blobs", a, a1));
        vs.add(block("B's agreement countersigning it, figures mirrored", b, b1));
        vs.add(block("A's second block names the first's hash", a, a2));
        vs.add(block("a third block", a, a3));

        byte[] raw = a1.encode();
        raw[119] ^= 1;
        vs.add(invalidBlock("bytes_given changed after signing", raw, "signature"));
        raw = a2.encode();
        raw[80] ^= 1;
        vs.add(invalidBlock("previous_hash changed after signing", raw, "signature"));
        raw = a1.encode();
        raw[150] ^= 1;
        vs.add(invalidBlock("signature damaged", raw, "signature"));
        raw = a1.encode();
        Arrays.fill(raw, 32, 40, (byte) 0);
        vs.add(invalidBlock("seq 0", raw, "seq"));
        raw = a1.encode();
        System.arraycopy(a.publicKey(), 0, raw, 40, 32);
        vs.add(invalidBlock("a block with oneself", raw, "counterparty_key"));
        raw = a1.encode();
        raw[112] = (byte) 0x80;
        vs.add(invalidBlock("a figure above 2^63-1", raw, "bytes_given"));

        vs.add(chain("A's chain, three blocks", a, List.of(a1, a2, a3), true, null));
        vs.add(chain("an empty chain", a, List.of(), true, null));
        Block a2wrongPrev = Block.sign(a, 2, c.publicKey(), 0, b1.hash(), 3 * BLOB, 3, 0, 0);
        vs.add(chain("second block signed with a wrong previous hash", a, List.of(a1, a2wrongPrev), false, "previous_hash"));
        vs.add(chain("a gap: 1 then 3", a, List.of(a1, a3), false, "seq"));
        Block a1forged = Block.decode(withByte(a1.encode(), 119));
        vs.add(chain("first block's figure changed", a, List.of(a1forged, a2, a3), false, "signature"));
        Block a1badGenesis = Block.sign(a, 1, b.publicKey(), 0, b1.hash(), 64 * BLOB, 64, 0, 0);
        vs.add(chain("first block with a non-zero previous hash", a, List.of(a1badGenesis), false, "previous_hash"));
        vs.add(chain("a block of B in A's chain", a, List.of(a1, b1), false, "creator_key"));

        Block f1a = Block.sign(f, 1, a.publicKey(), 0, Block.GENESIS_HASH, 10 * BLOB, 10, 0, 0);
        Block f1b = Block.sign(f, 1, b.publicKey(), 0, Block.GENESIS_HASH, 10 * BLOB, 10, 0, 0);
        vs.add(fork("F signed two blocks at seq 1 (one with A, one with B): a double-sign proof", f1a, f1b, true));
        vs.add(fork("the same block twice is no proof", f1a, f1a, false));
        vs.add(fork("two blocks at different seq are no proof", a1, a2, false));
        vs.add(fork("a forged second block (bad signature) is no proof", f1a, Block.decode(withByte(f1b.encode(), 119)), false));

        vs.add(message("MSG_LEDGER_PROPOSE", new Message.LedgerPropose(1, a1.encode())));
        vs.add(message("MSG_LEDGER_AGREE", new Message.LedgerAgree(1, b1.encode())));
        vs.add(message("MSG_LEDGER_GET_CHAIN", new Message.LedgerGetChain(7, a.publicKey(), 1, 64)));
        byte[] h = new byte[64];
        for (int i = 0; i < 64; i++) h[i] = (byte) i;
        Ledger ledgerA = Ledger.inMemory(a);
        vs.add(message("MSG_LEDGER_CHAIN introduction (id 0, session proof)", new Message.LedgerChain(0, a.publicKey(), ledgerA.sessionProof(h), List.of(a1.encode(), b1.encode()))));
        vs.add(message("MSG_LEDGER_CHAIN push of a double-sign proof (id 0, no proof)", new Message.LedgerChain(0, f.publicKey(), null, List.of(f1a.encode(), f1b.encode()))));
        vs.add(message("MSG_LEDGER_CHAIN answer with no blocks", new Message.LedgerChain(7, c.publicKey(), null, List.of())));
        String getChain = Hex.encode(Message.encode(new Message.LedgerGetChain(7, a.publicKey(), 1, 64)));
        vs.add(badMessage("GET_CHAIN from_seq 0", getChain.substring(0, 10 + 64) + "0000000000000000" + "0040", "from_seq"));
        vs.add(badMessage("GET_CHAIN max_count 0", getChain.substring(0, getChain.length() - 4) + "0000", "max_count"));
        vs.add(badMessage("GET_CHAIN max_count 129", getChain.substring(0, getChain.length() - 4) + "0081", "max_count"));
        vs.add(badMessage("GET_CHAIN with id 0", "12" + "00000000" + getChain.substring(10), "request_id"));
        vs.add(badMessage("GET_CHAIN with a byte after the body", getChain + "00", "end"));
        String propose = Hex.encode(Message.encode(new Message.LedgerPropose(1, a1.encode())));
        vs.add(badMessage("PROPOSE with id 0", "10" + "00000000" + propose.substring(10), "request_id"));
        vs.add(badMessage("PROPOSE with a short block", propose.substring(0, propose.length() - 2), "block"));
        String chainAnswer = "13" + "00000007" + Hex.encode(c.publicKey());
        vs.add(badMessage("CHAIN with proof_length 32", "13" + "00000000" + Hex.encode(c.publicKey()) + "20" + "00".repeat(32) + "0000", "proof_length"));
        vs.add(badMessage("CHAIN answer (id 7) carrying a session proof", chainAnswer + "40" + "00".repeat(64) + "0000", "proof_length"));
        vs.add(badMessage("CHAIN declaring 129 blocks", chainAnswer + "00" + "0081", "block_count"));
        vs.add(badMessage("CHAIN declaring 2 blocks, carrying 1", chainAnswer + "00" + "0002" + Hex.encode(a1.encode()), "block"));

        vs.add(JsonObject.builder().put("kind", "session").put("name", "A's ledger key bound to a session's handshake hash")
                .put("seed", Hex.encode(a.seed())).put("public", Hex.encode(a.publicKey()))
                .put("context", Hex.encode(Ledger.SESSION_CONTEXT)).put("handshakeHash", Hex.encode(h))
                .put("proof", Hex.encode(ledgerA.sessionProof(h))).build());

        vs.add(trust());
        return JsonObject.builder()
                .put("suite", "ledger")
                .put("source", "generated by LedgerVectorsTest from fixed Ed25519 seeds (0x11.. A, 0x22.. B, 0x33.. C, 0x44.. F, 0x55.. H, 0x60+i.. Sybil i)")
                .put("vectors", new JsonArray(vs))
                .build();
    }

    /**
     * H (self) took 10 MiB from A and 2 MiB from C; A took 5 MiB from B; five Sybils claim 1 GiB to
     * each other in a ring, and one of them took 1 MiB from C. Scores from H: A 10 MiB, B 5 MiB
     * (through A), C 2 MiB, every Sybil 0.
     */
    private static JsonObject trust() throws Exception {
        Ed25519.KeyPair a = key(0x11);
        Ed25519.KeyPair bk = key(0x22);
        Ed25519.KeyPair c = key(0x33);
        Ed25519.KeyPair h = key(0x55);
        Chains chains = new Chains();
        chains.pair(a, h, 10 * MIB);
        chains.pair(bk, a, 5 * MIB);
        chains.pair(c, h, 2 * MIB);
        List<Ed25519.KeyPair> sybils = new ArrayList<>();
        for (int i = 0; i < 5; i++) sybils.add(key(0x60 + i));
        for (int i = 0; i < 5; i++) chains.pair(sybils.get(i), sybils.get((i + 1) % 5), 1L << 30);
        chains.pair(c, sybils.get(0), MIB);
        JsonObject.Builder scores = JsonObject.builder()
                .put(Hex.encode(a.publicKey()), 10 * MIB)
                .put(Hex.encode(bk.publicKey()), 5 * MIB)
                .put(Hex.encode(c.publicKey()), 2 * MIB);
        for (Ed25519.KeyPair s : sybils) scores.put(Hex.encode(s.publicKey()), 0);
        Map<String, Long> computed = Ledger.scoresOver(h.publicKey(), chains.blocks);
        for (var e : scores.build().members().entrySet()) {
            long want = ((JsonValue.JsonNumber) e.getValue()).asLong("score");
            if (computed.getOrDefault(e.getKey(), 0L) != want) throw new AssertionError("generator: score of " + e.getKey() + " is " + computed.get(e.getKey()));
        }
        return JsonObject.builder().put("kind", "trust")
                .put("name", "max flow from H: A and B (through A) and C score, a Sybil ring scores 0")
                .put("self", Hex.encode(h.publicKey()))
                .put("blocks", new JsonArray(chains.blocks.stream().map(x -> (JsonValue) new JsonString(Hex.encode(x.encode()))).toList()))
                .put("scores", scores.build())
                .put("balance", -12 * MIB)
                .build();
    }

    /** Chains of several keys, growing by countersigned pairs. */
    static final class Chains {
        final List<Block> blocks = new ArrayList<>();
        final Map<String, Block> heads = new java.util.HashMap<>();

        /** {@code giver} proposes {@code bytes} given to {@code taker}, who countersigns. */
        void pair(Ed25519.KeyPair giver, Ed25519.KeyPair taker, long bytes) {
            Block p = next(giver, taker.publicKey(), 0, bytes, 0);
            Block ag = next(taker, giver.publicKey(), p.seq(), 0, bytes);
            blocks.add(p);
            blocks.add(ag);
        }

        private Block next(Ed25519.KeyPair k, byte[] counterparty, long cseq, long given, long taken) {
            Block head = heads.get(Hex.encode(k.publicKey()));
            long seq = head == null ? 1 : head.seq() + 1;
            Block b = Block.sign(k, seq, counterparty, cseq, head == null ? Block.GENESIS_HASH : head.hash(),
                    given, given == 0 ? 0 : (given + MIB - 1) / MIB, taken, taken == 0 ? 0 : (taken + MIB - 1) / MIB);
            heads.put(Hex.encode(k.publicKey()), b);
            return b;
        }
    }

    private static byte[] withByte(byte[] raw, int at) {
        raw[at] ^= 1;
        return raw;
    }

    private static JsonObject block(String name, Ed25519.KeyPair key, Block b) {
        return JsonObject.builder().put("kind", "block").put("name", name)
                .put("seed", Hex.encode(key.seed()))
                .put("counterparty", Hex.encode(b.counterparty()))
                .put("seq", b.seq()).put("counterpartySeq", b.counterpartySeq())
                .put("previousHash", Hex.encode(b.previousHash()))
                .put("bytesGiven", b.bytesGiven()).put("blobsGiven", b.blobsGiven())
                .put("bytesTaken", b.bytesTaken()).put("blobsTaken", b.blobsTaken())
                .put("signedBytes", Hex.encode(b.signedBytes()))
                .put("signature", Hex.encode(b.signature()))
                .put("block", Hex.encode(b.encode()))
                .put("hash", Hex.encode(b.hash()))
                .put("valid", true).build();
    }

    private static JsonObject invalidBlock(String name, byte[] raw, String field) {
        return JsonObject.builder().put("kind", "block").put("name", name).put("block", Hex.encode(raw)).put("valid", false).put("field", field).build();
    }

    private static JsonObject chain(String name, Ed25519.KeyPair key, List<Block> blocks, boolean valid, String field) {
        JsonObject.Builder o = JsonObject.builder().put("kind", "chain").put("name", name).put("public", Hex.encode(key.publicKey()))
                .put("blocks", new JsonArray(blocks.stream().map(x -> (JsonValue) new JsonString(Hex.encode(x.encode()))).toList()))
                .put("valid", valid);
        if (field != null) o.put("field", field);
        return o.build();
    }

    private static JsonObject fork(String name, Block x, Block y, boolean proof) {
        return JsonObject.builder().put("kind", "fork").put("name", name)
                .put("blocks", new JsonArray(List.of(new JsonString(Hex.encode(x.encode())), new JsonString(Hex.encode(y.encode())))))
                .put("proof", proof).build();
    }

    private static JsonObject message(String name, Message m) {
        return JsonObject.builder().put("kind", "message").put("name", name).put("type", Message.typeOf(m))
                .put("hex", Hex.encode(Message.encode(m))).put("valid", true).build();
    }

    private static JsonObject badMessage(String name, String hex, String field) {
        return JsonObject.builder().put("kind", "message").put("name", name).put("hex", hex).put("valid", false).put("field", field).build();
    }
}
