package io.megatorrent.cli;

import java.io.PrintStream;

final class IngestBench {
    private IngestBench() {}

    static int run(String[] argv, PrintStream out, PrintStream err) {
        err.println("megatorrent bench: not implemented yet");
        return ExitCodes.FAILED;
    }
}
