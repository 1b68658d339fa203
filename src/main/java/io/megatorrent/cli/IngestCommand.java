package io.megatorrent.cli;

import java.io.PrintStream;
import java.util.List;

final class IngestCommand extends OptionCommand {
    IngestCommand() {
        super("ingest", "cut a file into encrypted blobs in the store", "-i FILE [-d DIR] [--json]");
    }

    @Override
    List<Args.Option> options() {
        return List.of();
    }

    @Override
    String description() {
        return "Not implemented yet.";
    }

    @Override
    int run(Args args, PrintStream out, PrintStream err) {
        err.println("megatorrent ingest: not implemented yet");
        return ExitCodes.FAILED;
    }
}
