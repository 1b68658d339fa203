package io.megatorrent.ledger;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonNumber;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.codec.JsonValue.JsonString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A ledger as JSON, one shape for every face (the {@code ledger} command, a JSON-RPC method):
 * {"publicKey", "balance", "chainLength", "countersigned", "peers": [{"key", "score", "given",
 * "taken"}], "fraudsters": [key]}.
 */
public final class LedgerReport {
    private LedgerReport() {}

    public static JsonObject of(Ledger ledger) {
        if (ledger == null) {
            return JsonObject.builder().put("publicKey", JsonValue.JsonNull.INSTANCE).put("balance", 0).put("chainLength", 0)
                    .put("countersigned", 0).put("peers", new JsonArray(List.of())).put("fraudsters", new JsonArray(List.of())).build();
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
        return JsonObject.builder()
                .put("publicKey", Hex.encode(ledger.publicKey()))
                .put("balance", JsonNumber.of(ledger.balance()))
                .put("chainLength", chain.size())
                .put("countersigned", chain.stream().filter(ledger::isCountersigned).count())
                .put("peers", new JsonArray(peers))
                .put("fraudsters", new JsonArray(frauds))
                .build();
    }
}
