package io.megatorrent.cli;

import io.megatorrent.content.BlobStore;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

final class VerifyCommand extends OptionCommand {
    VerifyCommand() {
        super("verify", "check every blob in the store", "[-d DIR]");
    }

    @Override
    List<Args.Option> options() {
        return DataDir.with(List.of());
    }

    @Override
    String description() {
        return """
                Reads every blob in DIR/blobs and checks its length and SHA-256 against its name.
                Corrupt blobs are moved to DIR/quarantine and listed (one "corrupt ID: REASON" line
                each); temporary files left by killed writers are removed. Exits 1 if any blob was
                corrupt.
                """;
    }

    @Override
    int run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.noPositional();
        Path dir = DataDir.resolve(args);
        if (!Files.isDirectory(dir.resolve(BlobStore.BLOBS_FOLDER))) {
            out.println("0 blobs checked: no blob store in " + dir);
            return ExitCodes.OK;
        }
        BlobStore store = BlobStore.open(dir);
        BlobStore.VerifyReport report = store.verifyAll();
        for (BlobStore.Corrupt c : report.corrupt()) out.println("corrupt " + c.id() + ": " + c.reason());
        for (Path p : report.unexpected()) err.println("megatorrent verify: not a blob, left alone: " + p);
        out.printf("%d blobs checked, %d corrupt%s, %d stale temporary files removed%n",
                report.checked(), report.corrupt().size(),
                report.corrupt().isEmpty() ? "" : " (moved to " + store.quarantineFolder() + ")",
                report.temporariesRemoved());
        return report.ok() ? ExitCodes.OK : ExitCodes.FAILED;
    }
}
