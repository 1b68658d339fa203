package io.megatorrent.cli;

import io.megatorrent.conformance.Conformance;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The node's main job for a first run: a self-check of every layer built so far. */
final class DemoCommand extends OptionCommand {
    DemoCommand() {
        super("demo", "self-check: run the bundled conformance vectors", "[PATH]");
    }

    @Override
    List<Args.Option> options() {
        return List.of();
    }

    @Override
    String description() {
        return """
                Runs the conformance vectors in PATH (default: test-vectors, which the README's
                quick start runs from the project folder) and reports whether this build speaks
                protocol v6 correctly.
                """;
    }

    @Override
    int run(Args args, PrintStream out, PrintStream err) throws Exception {
        Path dir = Path.of(args.positional().isEmpty() ? "test-vectors" : args.positional().get(0));
        if (!Files.exists(dir)) throw new java.io.IOException("vector folder not found: " + dir);
        Conformance.Report report = Conformance.run(List.of(dir), out);
        out.println(report.ok() ? "self-check passed" : "self-check FAILED");
        return report.ok() ? ExitCodes.OK : ExitCodes.FAILED;
    }
}
