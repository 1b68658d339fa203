package io.megatorrent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.ledger.Block;
import io.megatorrent.ledger.Ledger;
import io.megatorrent.testing.Cli;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerCommandTest {
    @Test
    void printsBalanceChainAndScores(@TempDir Path dir) throws Exception {
        Ledger peer = Ledger.ephemeral();
        String self;
        try (Ledger l = Ledger.open(dir)) {
            self = Hex.encode(l.publicKey());
            Block given = l.propose(peer.publicKey(), 5_000_000, 5);
            assertTrue(l.agreed(peer.agree(given)));
            Block taken = peer.propose(l.publicKey(), 2_000_000, 2);
            l.agree(taken);
            l.propose(peer.publicKey(), 1_000_000, 1); // never countersigned
        }
        Cli.Result r = Cli.run("ledger", "-d", dir.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject o = (JsonObject) Json.parse(r.out().getBytes(StandardCharsets.UTF_8));
        assertEquals(self, o.string("publicKey"));
        assertEquals(3_000_000, o.integer("balance"));
        assertEquals(3, o.integer("chainLength"));
        assertEquals(2, o.integer("countersigned"));
        List<JsonValue> peers = o.array("peers").items();
        assertEquals(1, peers.size());
        JsonObject p = (JsonObject) peers.get(0);
        assertEquals(Hex.encode(peer.publicKey()), p.string("key"));
        assertEquals(2_000_000, p.integer("score"), "the peer gave us 2 MB");
        assertEquals(5_000_000, p.integer("given"));
        assertEquals(2_000_000, p.integer("taken"));
    }

    @Test
    void withoutALedgerPrintsZerosAndCreatesNothing(@TempDir Path dir) throws Exception {
        Cli.Result r = Cli.run("ledger", "-d", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"publicKey\": null"), r.out());
        try (var files = Files.list(dir)) {
            assertFalse(files.findAny().isPresent(), "nothing created");
        }
    }

    @Test
    void helpIsListed() {
        assertTrue(Cli.run("--help").out().contains("ledger"));
        assertTrue(Cli.run("ledger", "--help").out().contains("not a currency"));
    }
}
