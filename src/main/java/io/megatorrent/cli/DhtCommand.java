package io.megatorrent.cli;

import java.io.PrintStream;
import java.util.List;

final class DhtCommand extends OptionCommand {
    DhtCommand() {
        super("dht", "DHT debugging tools (node, put/get items, announce, get-peers)", "SUBCOMMAND [OPTIONS]");
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
        err.println("megatorrent dht: not implemented yet");
        return ExitCodes.FAILED;
    }
}
