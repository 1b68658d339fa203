package io.megatorrent.cli;

import java.io.PrintStream;
import java.util.List;

final class ReassembleCommand extends OptionCommand {
    ReassembleCommand() {
        super("reassemble", "rebuild a file from its blobs", "-e ENTRY.json -o OUT [-d DIR]");
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
        err.println("megatorrent reassemble: not implemented yet");
        return ExitCodes.FAILED;
    }
}
