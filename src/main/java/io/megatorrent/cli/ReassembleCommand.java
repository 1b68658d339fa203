package io.megatorrent.cli;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Json;
import io.megatorrent.content.BlobStore;
import io.megatorrent.content.CorruptBlobException;
import io.megatorrent.content.FileEntry;
import io.megatorrent.content.MissingBlobException;
import io.megatorrent.content.Reassembly;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

final class ReassembleCommand extends OptionCommand {
    /** Largest entry file read: 64 MiB lists the ~1 million blobs of a 1 TiB file. */
    static final long MAX_ENTRY_BYTES = 64L << 20;

    ReassembleCommand() {
        super("reassemble", "rebuild a file from its blobs", "-e ENTRY.json -o OUT [-d DIR] [--force]");
    }

    @Override
    List<Args.Option> options() {
        return DataDir.with(List.of(
                Args.Option.value("entry", 'e', "ENTRY.json", "the file entry that megatorrent ingest --json printed"),
                Args.Option.value("output", 'o', "OUT", "the file to write"),
                Args.Option.flag("force", "replace OUT if it exists")));
    }

    @Override
    String description() {
        return """
                Reads every blob of the entry from DIR/blobs, checks its hash, decrypts it with the
                entry's key and writes the file to OUT. OUT appears only complete and checked (it is
                written beside OUT under a temporary name, fsynced, then renamed); an existing OUT is
                left alone unless --force. A missing blob exits 1 naming it; a corrupt one exits 3
                and is moved to DIR/quarantine.
                """;
    }

    @Override
    int run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.noPositional();
        Path entryFile = Path.of(args.require("entry"));
        Path output = Path.of(args.require("output"));
        FileEntry entry = readEntry(entryFile);
        BlobStore store = BlobStore.open(DataDir.resolve(args));
        try (IngestCommand.ProgressBar bar = IngestCommand.ProgressBar.onTerminal(err, "reassemble", entry.size())) {
            Reassembly.toFile(entry, store, output, args.has("force"), bar);
        } catch (MissingBlobException e) {
            err.println("megatorrent reassemble: " + e.getMessage() + "; " + output + " not written");
            return ExitCodes.FAILED;
        } catch (CorruptBlobException e) {
            err.println("megatorrent reassemble: " + e.getMessage() + "; " + output + " not written");
            return ExitCodes.IO;
        }
        out.println("wrote " + output + " (" + entry.size() + " bytes, " + entry.blobIds().size() + " blobs verified)");
        return ExitCodes.OK;
    }

    static FileEntry readEntry(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, Files.exists(file) ? "not a regular file" : "no such file");
        }
        if (Files.size(file) > MAX_ENTRY_BYTES) throw new IOException(file + ": entry larger than " + MAX_ENTRY_BYTES + " bytes");
        try {
            return FileEntry.fromJson(Json.parseObject(Files.readAllBytes(file)));
        } catch (CodecException e) {
            throw new IOException(file + ": not a file entry: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": not a file entry: " + e.getMessage(), e);
        }
    }
}
