package io.megatorrent.cli;

import java.io.PrintStream;

final class DhtBench {
    private DhtBench() {}

    static int run(String[] argv, PrintStream out, PrintStream err) {
        err.println("megatorrent bench: not implemented yet");
        return ExitCodes.FAILED;
    }
}
