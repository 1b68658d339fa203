package io.megatorrent.cli;

import io.megatorrent.codec.Json;
import io.megatorrent.content.BlobStore;
import io.megatorrent.content.FileEntry;
import io.megatorrent.content.Ingest;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

final class IngestCommand extends OptionCommand {
    IngestCommand() {
        super("ingest", "cut a file into encrypted blobs in the store", "-i FILE [-d DIR] [--json]");
    }

    @Override
    List<Args.Option> options() {
        return DataDir.with(List.of(
                Args.Option.value("input", 'i', "FILE", "the file to ingest"),
                Args.Option.flag("json", "print only the file entry, as one line of JSON, on stdout")));
    }

    @Override
    String description() {
        return """
                Cuts FILE into 1 MiB chunks, pads the last one, encrypts each under a fresh random
                file key into a blob of exactly 1,048,592 bytes and stores the blobs in DIR/blobs.
                Prints the file entry {"name", "size", "blobs", "key"}: keep it, its key is the
                only way to read the blobs back (megatorrent reassemble -e ENTRY.json -o OUT).
                """;
    }

    @Override
    int run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.noPositional();
        Path input = Path.of(args.require("input"));
        BlobStore store = BlobStore.open(DataDir.resolve(args));
        long start = System.nanoTime();
        FileEntry entry;
        try (ProgressBar bar = ProgressBar.onTerminal(err, "ingest", java.nio.file.Files.isRegularFile(input) ? java.nio.file.Files.size(input) : 0)) {
            entry = Ingest.file(input, store, bar);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (args.has("json")) {
            out.println(Json.write(entry.toJson()));
        } else {
            out.printf("ingested %s: %d bytes into %d blobs in %s (%.1f MB/s)%n",
                    input, entry.size(), entry.blobIds().size(), store.root(), entry.size() / 1e6 / Math.max(seconds, 1e-9));
            out.println("file entry (keep it: its key is the only way to read the blobs):");
            out.println(Json.writePretty(entry.toJson()));
        }
        return ExitCodes.OK;
    }

    /** A one-line progress bar on stderr, drawn only when there is a terminal to draw it on. */
    static final class ProgressBar implements LongConsumer, AutoCloseable {
        private static final long REDRAW_NANOS = 200_000_000L;
        private final PrintStream err;
        private final String label;
        private final long total;
        private final AtomicLong done = new AtomicLong();
        private final long start = System.nanoTime();
        private volatile long lastDraw;
        private final boolean enabled;

        private ProgressBar(PrintStream err, String label, long total, boolean enabled) {
            this.err = err;
            this.label = label;
            this.total = total;
            this.enabled = enabled;
        }

        static ProgressBar onTerminal(PrintStream err, String label, long total) {
            return new ProgressBar(err, label, total, System.console() != null);
        }

        @Override
        public void accept(long bytes) {
            long now = done.addAndGet(bytes);
            if (!enabled) return;
            long t = System.nanoTime();
            if (t - lastDraw < REDRAW_NANOS && now < total) return;
            synchronized (this) {
                if (t - lastDraw < REDRAW_NANOS && now < total) return;
                lastDraw = t;
                draw(now, t);
            }
        }

        private void draw(long now, long t) {
            int width = 30;
            int filled = total == 0 ? width : (int) Math.min(width, now * width / total);
            double mbs = now / 1e6 / Math.max((t - start) / 1e9, 1e-9);
            err.printf("\r%s [%s%s] %5.1f%% %8.1f MB/s", label, "#".repeat(filled), " ".repeat(width - filled),
                    total == 0 ? 100.0 : 100.0 * now / total, mbs);
            err.flush();
        }

        @Override
        public void close() {
            if (enabled && lastDraw != 0) {
                synchronized (this) {
                    draw(done.get(), System.nanoTime());
                    err.println();
                }
            }
        }
    }
}
