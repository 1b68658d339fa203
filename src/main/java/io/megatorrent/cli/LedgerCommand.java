package io.megatorrent.cli;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonNumber;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.codec.JsonValue.JsonString;
import io.megatorrent.ledger.Block;
import io.megatorrent.ledger.Ledger;
import io.megatorrent.ledger.LedgerException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

final class LedgerCommand extends OptionCommand {
    LedgerCommand() {
        super("ledger", "show the seeding-credit ledger: balance, chain, scores of peers", "[-d DIR]");
    }

    @Override
    List<Args.Option> options() {
        return DataDir.with(List.of());
    }

    @Override
    String description() {
        return """
                Reads the ledger of DIR (PROTOCOL_FINAL.md 8), without changing it (a running node may
                be writing it), verifies its chain from the first block, and prints, as JSON:
                  {"publicKey": HEX, "balance": BYTES, "chainLength": N, "countersigned": N,
                   "peers": [{"key": HEX, "score": BYTES, "given": BYTES, "taken": BYTES}, ...],
                   "fraudsters": [HEX, ...]}
                balance: bytes given minus bytes taken over countersigned blocks; score: trust by
                maximum flow of countersigned bytes from the peer to this node over the blocks seen;
                given/taken: this node's countersigned bytes with that peer. Credit is not a currency:
                it cannot be sent to anyone, it only orders who is served first when a seeder is busy.
                With no ledger in DIR, prints {"publicKey": null, ...} with zeros (nothing is created).
                Exits 1 if the chain does not verify.""";
    }

    @Override
    int run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.noPositional();
        Path dir = DataDir.resolve(args);
        Ledger ledger;
        try {
            ledger = Ledger.snapshot(dir);
        } catch (LedgerException e) {
            err.println("megatorrent ledger: the chain in " + dir + " does not verify: " + e.getMessage());
            return ExitCodes.FAILED;
        }
        JsonObject.Builder o = JsonObject.builder();
        if (ledger == null) {
            o.put("publicKey", JsonValue.JsonNull.INSTANCE).put("balance", 0).put("chainLength", 0).put("countersigned", 0)
                    .put("peers", new JsonArray(List.of())).put("fraudsters", new JsonArray(List.of()));
            out.println(Json.writePretty(o.build()));
            return ExitCodes.OK;
        }
        List<Block> chain = ledger.chain();
        Map<String, Long> scores = ledger.scores();
        Map<String, long[]> totals = ledger.totalsByCounterparty();
        TreeSet<String> keys = new TreeSet<>(scores.keySet());
        keys.addAll(totals.keySet());
        List<JsonValue> peers = new ArrayList<>();
        for (String k : keys) {
            long[] t = totals.getOrDefault(k, new long[4]);
            peers.add(JsonObject.builder().put("key", k).put("score", scores.getOrDefault(k, 0L))
                    .put("given", t[0]).put("taken", t[2]).build());
        }
        List<JsonValue> frauds = new ArrayList<>();
        for (List<Block> proof : ledger.fraudProofs()) frauds.add(new JsonString(Hex.encode(proof.get(0).creator())));
        o.put("publicKey", Hex.encode(ledger.publicKey()))
                .put("balance", JsonNumber.of(ledger.balance()))
                .put("chainLength", chain.size())
                .put("countersigned", chain.stream().filter(ledger::isCountersigned).count())
                .put("peers", new JsonArray(peers))
                .put("fraudsters", new JsonArray(frauds));
        out.println(Json.writePretty(o.build()));
        return ExitCodes.OK;
    }
}
