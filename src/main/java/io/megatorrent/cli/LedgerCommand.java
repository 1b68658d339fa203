package io.megatorrent.cli;

import io.megatorrent.codec.Json;
import io.megatorrent.ledger.Ledger;
import io.megatorrent.ledger.LedgerException;
import io.megatorrent.ledger.LedgerReport;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

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
        out.println(Json.writePretty(LedgerReport.of(ledger)));
        return ExitCodes.OK;
    }
}
