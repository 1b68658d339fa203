package io.megatorrent.cli;

import io.megatorrent.transport.HandshakePolicy;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Entry point: {@code megatorrent [-v] COMMAND [OPTIONS]}. */
public final class Main {
    public static final String PROTOCOL_VERSION = "6";

    private Main() {}

    static List<Command> commands() {
        List<Command> all = new java.util.ArrayList<>(List.of(
                new ServeCommand(),
                new PublishCommand(),
                new SubscribeCommand()));
        all.addAll(ControlCommand.all());
        all.add(new UiCommand());
        all.addAll(List.of(
                new DemoCommand(),
                new ConformanceCommand(),
                new BenchCommand(),
                new DhtCommand(),
                new GenKeyCommand(),
                new IngestCommand(),
                new LedgerCommand(),
                new ReassembleCommand(),
                new VerifyCommand()));
        return List.copyOf(all);
    }

    public static void main(String[] argv) {
        System.exit(run(argv, System.out, System.err));
    }

    /** Runs one command line; returns the exit code. Used by main and by tests. */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        int i = 0;
        int verbosity = 0;
        boolean noClassic = false;
        while (i < argv.length && (argv[i].equals("-v") || argv[i].equals("--verbose") || argv[i].equals("--no-classic"))) {
            if (argv[i].equals("--no-classic")) noClassic = true;
            else verbosity++;
            i++;
        }
        configureLogging(verbosity);
        // Every connection this command makes or accepts follows it (PROTOCOL_FINAL.md 4.2).
        HandshakePolicy.setProcessDefault(noClassic ? HandshakePolicy.HYBRID_ONLY : HandshakePolicy.DEFAULT);
        String[] rest = Arrays.copyOfRange(argv, i, argv.length);
        if (rest.length == 0 || rest[0].equals("--help") || rest[0].equals("-h") || rest[0].equals("help")) {
            if (rest.length > 1 && rest[0].equals("help")) return run(new String[] {rest[1], "--help"}, out, err);
            out.print(help());
            return rest.length == 0 ? ExitCodes.USAGE : ExitCodes.OK;
        }
        if (rest[0].equals("--version") || rest[0].equals("version")) {
            out.println("megatorrent " + version() + " (protocol v" + PROTOCOL_VERSION + ", Java " + Runtime.version() + ")");
            return ExitCodes.OK;
        }
        Map<String, Command> byName = new LinkedHashMap<>();
        for (Command c : commands()) byName.put(c.name(), c);
        Command command = byName.get(rest[0]);
        if (command == null) {
            err.println("megatorrent: unknown command '" + rest[0] + "' (see megatorrent --help)");
            return ExitCodes.USAGE;
        }
        String[] commandArgs = Arrays.copyOfRange(rest, 1, rest.length);
        if (Arrays.asList(commandArgs).contains("--help") || Arrays.asList(commandArgs).contains("-h")) {
            out.print(command.help());
            if (!command.help().endsWith("\n")) out.println();
            return ExitCodes.OK;
        }
        try {
            return command.run(commandArgs, out, err);
        } catch (UsageException e) {
            err.println("megatorrent " + command.name() + ": " + e.getMessage() + " (see megatorrent " + command.name() + " --help)");
            return ExitCodes.USAGE;
        } catch (IOException e) {
            err.println("megatorrent " + command.name() + ": " + e.getMessage());
            return ExitCodes.IO;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("megatorrent " + command.name() + ": interrupted");
            return ExitCodes.IO;
        } catch (RuntimeException e) {
            err.println("megatorrent " + command.name() + ": internal error: " + e);
            e.printStackTrace(err);
            return ExitCodes.INTERNAL;
        } catch (Exception e) {
            err.println("megatorrent " + command.name() + ": " + e.getMessage());
            return ExitCodes.IO;
        }
    }

    static String help() {
        StringBuilder sb = new StringBuilder();
        sb.append("""
                megatorrent: reference node of the Megatorrent protocol v6

                Usage: megatorrent [-v|--verbose] [--no-classic] COMMAND [OPTIONS]
                       megatorrent COMMAND --help
                       megatorrent --version

                Commands:
                """);
        for (Command c : commands()) sb.append(String.format("  %-13s %s%n", c.name(), c.summary()));
        sb.append("""

                Global options:
                  -v, --verbose  more log output on stderr (repeat for debug)
                      --no-classic  run only the hybrid handshake (X25519 + ML-KEM-768): refuse
                                 classic XX/IK offers and never fall back to them; by default
                                 connections start hybrid and accept classic (PROTOCOL_FINAL.md 4.2)
                  -h, --help     this help; after a command, that command's help
                      --version  print the version

                """);
        sb.append(ExitCodes.HELP);
        return sb.toString();
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private static void configureLogging(int verbosity) {
        Level level = switch (verbosity) {
            case 0 -> Level.WARNING;
            case 1 -> Level.INFO;
            default -> Level.FINE;
        };
        Logger root = Logger.getLogger("");
        root.setLevel(level);
        for (var h : root.getHandlers()) h.setLevel(level);
    }
}
