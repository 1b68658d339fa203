package io.megatorrent.cli;

import io.megatorrent.conformance.Conformance;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

final class ConformanceCommand extends OptionCommand {
    ConformanceCommand() {
        super("conformance", "run test-vector files and report pass/fail counts", "[PATH...]");
    }

    @Override
    List<Args.Option> options() {
        return List.of();
    }

    @Override
    String description() {
        return """
                Runs every *.json vector file under each PATH (a file, or a folder searched
                recursively; default: test-vectors). Formats: our suites ({"suite": NAME, ...},
                see PROTOCOL_FINAL.md, appendix A), Wycheproof files as published (ChaCha20-Poly1305,
                X25519, Ed25519, ML-KEM-768) and cacophony Noise vectors (handshake_hash checked
                when present). Prints one line per file, then
                "N passed, M failed". A file in an unknown format counts as failed, never skipped.
                Exit 0 only when no vector failed and at least one passed.
                """;
    }

    @Override
    int run(Args args, PrintStream out, PrintStream err) throws Exception {
        List<Path> paths = args.positional().isEmpty()
                ? List.of(Path.of("test-vectors"))
                : args.positional().stream().map(Path::of).toList();
        Conformance.Report report = Conformance.run(paths, out);
        return report.ok() ? ExitCodes.OK : ExitCodes.FAILED;
    }
}
