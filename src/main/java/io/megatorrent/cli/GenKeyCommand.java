package io.megatorrent.cli;

import java.io.PrintStream;
import java.util.List;

final class GenKeyCommand extends OptionCommand {
    GenKeyCommand() {
        super("gen-key", "create a channel identity (Ed25519 key)", "[-k FILE] [--read-key] [--force]");
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
        err.println("megatorrent gen-key: not implemented yet");
        return ExitCodes.FAILED;
    }
}
