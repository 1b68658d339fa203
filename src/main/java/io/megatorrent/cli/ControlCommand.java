package io.megatorrent.cli;

import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.content.ChannelUri;
import io.megatorrent.content.ChannelUriException;
import io.megatorrent.node.Garbage;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Commands that ask the node serving DIR one thing through its local API and print the answer:
 * status, downloads, subscriptions, unsubscribe, download-rate, gc. gc also runs on a folder no node serves.
 */
final class ControlCommand extends OptionCommand {
    private final String method;
    private final String text;

    private ControlCommand(String name, String summary, String usage, String method, String text) {
        super(name, summary, usage);
        this.method = method;
        this.text = text;
    }

    static List<Command> all() {
        return List.of(
                new ControlCommand("status", "what the serving node is doing: ports, mode, peers, DHT nodes, blobs, bytes", "[-d DIR]", "status",
                        "Prints the status of the node serving DIR as one JSON object: ports, static key, mode\n"
                                + "(direct), whether a UDP socket is open, DHT nodes, peers, blobs held, bytes up and down,\n"
                                + "counters (pointers by gossip and by DHT, banned peers, blobs fetched twice)."),
                new ControlCommand("downloads", "per-file progress of the serving node's downloads", "[-d DIR]", "downloads",
                        "Prints one JSON array: per file of every followed channel its size, bytes done, rate\n"
                                + "(bytes/s), peers and state (queued, downloading, complete, failed)."),
                new ControlCommand("subscriptions", "the channels the serving node follows", "[-d DIR]", "subscriptions",
                        "Prints one JSON array: per followed channel its key, label, folder, budget, last\n"
                                + "complete sequence, status and progress."),
                new ControlCommand("unsubscribe", "stop following a channel", "KEY|URI [-d DIR] [--delete-files]", "unsubscribe",
                        "Stops following the channel (its public key in hex, or its URI). Its files stay unless\n"
                                + "--delete-files is given; its blobs stay in the store until gc."),
                new ControlCommand("download-rate", "cap the serving node's downloads, or lift the cap", "RATE [-d DIR]", "setDownloadRate",
                        "Caps the downloads of the node serving DIR at RATE bytes/s (K, M, G suffixes; 0 lifts\n"
                                + "the cap) until it stops or the cap is set again; serve --download-rate sets it at\n"
                                + "start. A range streamed to a player is not held back. Prints {\"downloadRate\"}."),
                new ControlCommand("gc", "remove blobs no followed or published channel references", "[-d DIR] [--dry-run]", "gc",
                        "Removes from the blob store every blob that no published or followed channel's newest\n"
                                + "manifest references (left by an unsubscribe, an older sequence or a killed ingest),\n"
                                + "and prints {\"blobsRemoved\",\"bytesFreed\",\"blobsKept\"}. Through the serving node when\n"
                                + "one runs, else directly. --dry-run only counts."));
    }

    @Override
    List<Args.Option> options() {
        List<Args.Option> o = new ArrayList<>();
        if (method.equals("unsubscribe")) o.add(Args.Option.flag("delete-files", "also delete the channel's downloaded files"));
        if (method.equals("gc")) o.add(Args.Option.flag("dry-run", "count what would be removed, remove nothing"));
        return DataDir.with(o);
    }

    @Override
    String description() {
        return text;
    }

    @Override
    int run(Args args, PrintStream out, PrintStream err) throws Exception {
        Path dir = DataDir.resolve(args);
        JsonObject.Builder params = JsonObject.builder();
        if (method.equals("unsubscribe")) {
            if (args.positional().size() != 1) throw new UsageException("expected the channel's public key or URI");
            params.put("publicKey", channelKey(args.positional().get(0)));
            if (args.has("delete-files")) params.put("deleteFiles", true);
        } else if (method.equals("setDownloadRate")) {
            if (args.positional().size() != 1) throw new UsageException("expected the rate in bytes/s (K, M, G suffixes; 0 lifts the cap)");
            String rate = args.positional().get(0);
            params.put("bytesPerSecond", rate.strip().equals("0") ? 0L : SubscribeCommand.parseSize("RATE", rate));
        } else {
            args.noPositional();
        }
        if (method.equals("gc") && args.has("dry-run")) params.put("dryRun", true);
        ApiClient api = ApiClient.find(dir);
        if (api == null) {
            if (method.equals("gc")) return gcHere(dir, args.has("dry-run"), out, err);
            err.println("megatorrent " + name() + ": no node is serving " + dir + " (start one with: megatorrent serve -d " + dir + ")");
            return ExitCodes.FAILED;
        }
        try {
            JsonValue result = api.call(method, params.build());
            out.println(Json.writePretty(result));
            return ExitCodes.OK;
        } catch (ApiClient.CallException e) {
            err.println("megatorrent " + name() + ": " + e.getMessage());
            return ForegroundNode.exitCode(e.code);
        }
    }

    private static String channelKey(String keyOrUri) throws UsageException {
        if (keyOrUri.matches("[0-9a-fA-F]{64}")) return keyOrUri.toLowerCase(java.util.Locale.ROOT);
        try {
            return io.megatorrent.codec.Hex.encode(ChannelUri.parse(keyOrUri).publicKey());
        } catch (ChannelUriException e) {
            throw new UsageException("not a channel key (64 hex digits) or URI: " + e.getMessage());
        }
    }

    private static int gcHere(Path dir, boolean dryRun, PrintStream out, PrintStream err) throws Exception {
        try (io.megatorrent.node.DataDirLock lock = io.megatorrent.node.DataDirLock.tryAcquire(dir)) {
            if (lock == null) {
                err.println("megatorrent gc: a node started serving " + dir + " meanwhile; run gc again");
                return ExitCodes.FAILED;
            }
            Garbage.Result r = Garbage.collect(dir, dryRun);
            out.println(Json.writePretty(r.toJson(dryRun)));
            return ExitCodes.OK;
        }
    }
}
