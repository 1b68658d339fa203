package io.megatorrent.cli;

import java.io.PrintStream;
import java.util.List;

final class VerifyCommand extends OptionCommand {
    VerifyCommand() {
        super("verify", "check every blob in the store", "[-d DIR]");
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
        err.println("megatorrent verify: not implemented yet");
        return ExitCodes.FAILED;
    }
}
