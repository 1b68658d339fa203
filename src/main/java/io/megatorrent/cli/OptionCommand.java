package io.megatorrent.cli;

import java.io.PrintStream;
import java.util.List;

/** A command with a fixed set of options, whose help text is built from them. */
abstract class OptionCommand implements Command {
    private final String name;
    private final String summary;
    private final String usage;

    OptionCommand(String name, String summary, String usage) {
        this.name = name;
        this.summary = summary;
        this.usage = usage;
    }

    abstract List<Args.Option> options();

    /** Text after the usage line: what the command does, what it prints. */
    abstract String description();

    abstract int run(Args args, PrintStream out, PrintStream err) throws Exception;

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String summary() {
        return summary;
    }

    @Override
    public String help() {
        StringBuilder sb = new StringBuilder();
        sb.append("Usage: megatorrent ").append(name).append(' ').append(usage).append("\n\n");
        sb.append(description().strip()).append("\n");
        if (!options().isEmpty()) {
            sb.append("\nOptions:\n");
            for (Args.Option o : options()) sb.append(o.usage()).append('\n');
        }
        sb.append('\n').append(ExitCodes.HELP);
        return sb.toString();
    }

    @Override
    public final int run(String[] argv, PrintStream out, PrintStream err) throws Exception {
        return run(Args.parse(argv, options()), out, err);
    }
}
