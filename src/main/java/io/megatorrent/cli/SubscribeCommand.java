package io.megatorrent.cli;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.node.ApiException;
import io.megatorrent.node.Daemon;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@code megatorrent subscribe}: follow a channel, through the node serving DIR or in the foreground. */
final class SubscribeCommand extends OptionCommand {
    /** How long --wait waits for the channel's pointer to be found (DHT and gossip). */
    static final Duration LOOKUP_WAIT = Duration.ofSeconds(30);
    /** How long --wait waits while a download makes no progress and keeps failing. */
    static final Duration STALL_WAIT = Duration.ofSeconds(90);

    /** What --wait polls: the subscription's state. */
    @FunctionalInterface
    interface Source {
        JsonObject subscription() throws Exception;
    }

    SubscribeCommand() {
        super("subscribe", "follow a channel: download it now and its updates later", "URI [-d DIR] [--wait] [-o OUTDIR] [--max-size SIZE] [--label TEXT]");
    }

    @Override
    List<Args.Option> options() {
        List<Args.Option> o = new ArrayList<>();
        o.add(Args.Option.flag("wait", "return only when the channel's newest sequence is complete; print its files"));
        o.add(Args.Option.value("output", 'o', "OUTDIR", "where files go, as COLLECTION/ITEM (default DIR/downloads/<public key hex>)"));
        o.add(Args.Option.value("max-size", "SIZE", "refuse a manifest listing more than SIZE bytes (K, M, G, T suffixes; default 64G)"));
        o.add(Args.Option.value("label", "TEXT", "a name for the subscription"));
        o.addAll(NodeOptions.ALL);
        return DataDir.with(o);
    }

    @Override
    String description() {
        return """
                Follows the channel of URI (megatorrent://KEY[:READKEY][?bootstrap=H:P...]).
                When a node is serving DIR the subscription is handed to it; the node downloads
                the newest sequence and every later one. --wait looks the channel up (DHT and
                gossip, up to 30 s), then returns once that sequence is complete, printing
                {"publicKey","seq","paths"}; subscribing to a channel already followed is not an
                error. With no node serving DIR, the download runs in the foreground (as with
                --wait) and the command exits when it is complete. Progress goes to stderr.
                """;
    }

    @Override
    int run(Args args, PrintStream out, PrintStream err) throws Exception {
        if (args.positional().size() != 1) throw new UsageException("expected one channel URI");
        String uri = args.positional().get(0);
        Path dir = DataDir.resolve(args);
        Path outDir = args.get("output").map(o -> Path.of(o).toAbsolutePath()).orElse(null);
        Long maxSize = args.has("max-size") ? parseSize("--max-size", args.require("max-size")) : null;
        String label = args.get("label").orElse(null);
        Progress progress = new Progress(err);
        ApiClient api = ApiClient.find(dir);
        if (api != null) {
            JsonObject.Builder params = JsonObject.builder().put("uri", uri);
            if (outDir != null) params.put("outDir", outDir.toString());
            if (maxSize != null) params.put("maxSize", maxSize);
            if (label != null) params.put("label", label);
            JsonObject view;
            try {
                view = (JsonObject) api.call("subscribe", params.build());
            } catch (ApiClient.CallException e) {
                err.println("megatorrent subscribe: " + e.getMessage());
                return ForegroundNode.exitCode(e.code);
            }
            if (!args.has("wait")) {
                out.println(Json.write(view));
                return ExitCodes.OK;
            }
            String key = view.string("publicKey");
            return await(() -> (JsonObject) api.call("subscription", JsonObject.builder().put("publicKey", key).build()), progress, out, err);
        }
        progress.say("no node is serving " + dir + ": downloading in the foreground");
        Daemon.Config config = NodeOptions.config(args, dir, 0, false);
        try (ForegroundNode node = ForegroundNode.start(config, err)) {
            JsonObject view;
            try {
                view = node.daemon().subscribe(uri, outDir, maxSize, label);
            } catch (ApiException e) {
                err.println("megatorrent subscribe: " + e.getMessage());
                return ForegroundNode.exitCode(e.code());
            }
            String key = view.string("publicKey");
            return await(() -> node.daemon().subscription(key), progress, out, err);
        }
    }

    /** Polls the subscription until its newest sequence is complete; prints {publicKey, seq, paths}. */
    static int await(Source source, Progress progress, PrintStream out, PrintStream err) throws Exception {
        long start = System.nanoTime();
        long lastProgress = start;
        long lastDone = -1;
        while (true) {
            JsonObject s = source.subscription();
            long target = s.integer("targetSequence");
            long last = s.integer("lastSequence");
            boolean complete = s.bool("complete") && last >= target;
            if (complete) {
                progress.end();
                out.println(Json.write(JsonObject.builder().put("publicKey", s.string("publicKey")).put("seq", last)
                        .put("status", s.string("status")).put("paths", s.require("paths")).build()));
                return ExitCodes.OK;
            }
            String status = s.string("status");
            long done = s.integer("bytesDone");
            long now = System.nanoTime();
            if (done != lastDone) {
                lastDone = done;
                lastProgress = now;
            }
            if (status.equals("too large")) {
                progress.say("megatorrent subscribe: " + errorOf(s));
                return ExitCodes.FAILED;
            }
            if (target < 0 && now - start > LOOKUP_WAIT.toNanos()) {
                progress.say("megatorrent subscribe: the channel was not found within " + LOOKUP_WAIT.toSeconds() + " s (" + errorOf(s)
                        + "); the node keeps looking");
                return ExitCodes.FAILED;
            }
            if (s.has("error") && now - lastProgress > STALL_WAIT.toNanos()) {
                progress.say("megatorrent subscribe: no progress for " + STALL_WAIT.toSeconds() + " s: " + errorOf(s) + "; the node keeps trying");
                return ExitCodes.FAILED;
            }
            progress.show(status, done, s.integer("bytes"), s.integer("rate"), s.integer("peers"));
            Thread.sleep(200);
        }
    }

    private static String errorOf(JsonObject s) throws CodecException {
        return s.optString("error").orElse(s.string("status"));
    }

    /** A byte count with an optional K, M, G or T suffix (powers of 1024). */
    static long parseSize(String flag, String text) throws UsageException {
        String t = text.strip().toUpperCase(java.util.Locale.ROOT);
        long unit = 1;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'K' -> unit = 1L << 10;
                case 'M' -> unit = 1L << 20;
                case 'G' -> unit = 1L << 30;
                case 'T' -> unit = 1L << 40;
                default -> { }
            }
            if (unit != 1) t = t.substring(0, t.length() - 1);
        }
        try {
            long n = Long.parseLong(t);
            if (n <= 0 || n > Long.MAX_VALUE / unit) throw new UsageException(flag + " must be a positive size, got '" + text + "'");
            return n * unit;
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " must be a size such as 500M or 4G, got '" + text + "'");
        }
    }

}
