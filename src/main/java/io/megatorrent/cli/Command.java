package io.megatorrent.cli;

import java.io.PrintStream;

/** A subcommand. {@link #run} parses its own flags with {@link Args} and returns the exit code. */
public interface Command {
    String name();

    /** One line for the command list in {@code megatorrent --help}. */
    String summary();

    /** The whole help text of {@code megatorrent NAME --help}. */
    String help();

    int run(String[] argv, PrintStream out, PrintStream err) throws Exception;
}
