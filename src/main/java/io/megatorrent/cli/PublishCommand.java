package io.megatorrent.cli;

import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.node.ApiException;
import io.megatorrent.node.Daemon;
import io.megatorrent.transport.PeerTarget;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code megatorrent publish}: a file or folder into a channel, through the node serving DIR or in the foreground. */
final class PublishCommand extends OptionCommand {
    PublishCommand() {
        super("publish", "publish a file or folder to a channel (through the serving node, or in the foreground)",
                "-i PATH [-d DIR] [-k KEYFILE] [--gateway KEY@H:P]");
    }

    @Override
    List<Args.Option> options() {
        List<Args.Option> o = new ArrayList<>();
        o.add(Args.Option.value("input", 'i', "PATH", "the file or folder to publish (required)"));
        o.add(Args.Option.value("key", 'k', "FILE", "the channel identity (default DIR/identity.json, made when missing)"));
        o.add(Args.Option.value("gateway", "KEY@H:P", "foreground only: store the pointer through this gateway (MSG_PUBLISH) instead of the DHT"));
        o.addAll(NodeOptions.ALL);
        return DataDir.with(o);
    }

    @Override
    String description() {
        return """
                Publishes PATH as one collection of the channel: a folder D becomes collection
                basename(D) with its files as items (by relative path), a file F collection
                basename(F) with the one item basename(F). The channel's other collections stay;
                the sequence is one above the last. Prints {"uri","publicKey","seq",...} once the
                blobs are announced and the pointer is stored.
                When a node is serving DIR (megatorrent serve) the job is handed to it and the
                command returns. Otherwise it runs a node itself, says so on stderr, and keeps
                seeding until interrupted (Ctrl-C). A private channel's read key comes from the
                identity file (gen-key --read-key).
                """;
    }

    @Override
    int run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.noPositional();
        Path dir = DataDir.resolve(args);
        Path input = Path.of(args.require("input")).toAbsolutePath();
        Path key = args.get("key").map(k -> Path.of(k).toAbsolutePath()).orElse(null);
        PeerTarget gateway = null;
        if (args.has("gateway")) {
            try {
                gateway = PeerTarget.parse(args.require("gateway"));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--gateway: " + e.getMessage());
            }
        }
        Progress progress = new Progress(err);
        ApiClient api = ApiClient.find(dir);
        if (api != null) {
            if (gateway != null) throw new UsageException("--gateway is for a foreground publish; the node serving " + dir + " publishes through the DHT");
            progress.say("publishing " + input + " through the node serving " + dir);
            JsonObject.Builder params = JsonObject.builder().put("path", input.toString());
            if (key != null) params.put("keyFile", key.toString());
            try {
                JsonValue result = withProgress(() -> api.call("publish", params.build()), () -> (JsonObject) api.call("status", JsonObject.builder().build()),
                        input, progress);
                out.println(Json.write(result));
                return ExitCodes.OK;
            } catch (ApiClient.CallException e) {
                err.println("megatorrent publish: " + e.getMessage());
                return ForegroundNode.exitCode(e.code);
            }
        }
        progress.say("no node is serving " + dir + ": publishing in the foreground (it keeps seeding until interrupted)");
        Daemon.Config config = NodeOptions.config(args, dir, 0, false);
        try (ForegroundNode node = ForegroundNode.start(config, err)) {
            JsonObject result;
            try {
                PeerTarget via = gateway;
                result = withProgress(() -> node.daemon().publish(input, key, via), () -> node.daemon().status(), input, progress);
            } catch (ApiException e) {
                err.println("megatorrent publish: " + e.getMessage());
                return ForegroundNode.exitCode(e.code());
            }
            out.println(Json.write(result));
            out.flush();
            progress.say("published sequence " + result.integer("seq") + "; seeding (Ctrl-C to stop)");
            node.awaitSignal();
        }
        return ExitCodes.OK;
    }

    /** A job that may take a while: a publish, through the API or in this process. */
    interface Job<T> {
        T run() throws Exception;
    }

    /** Where the node reports publishes in progress (status, "publishing"). */
    interface StatusSource {
        JsonObject status() throws Exception;
    }

    /**
     * Runs {@code job} on a thread of its own and, while it runs, draws its progress from the node's
     * status (the entry of "publishing" for {@code input}) every 250 ms: the ingest's bytes, then
     * the step (DHT put, announce). A status that cannot be read only costs the progress line.
     */
    static <T> T withProgress(Job<T> job, StatusSource status, Path input, Progress progress) throws Exception {
        java.util.concurrent.FutureTask<T> task = new java.util.concurrent.FutureTask<>(job::run);
        // a platform thread: the caller may run many virtual threads of its own (an in-process test's pipe readers pin carriers)
        Thread.ofPlatform().daemon().name("publish").start(task);
        long lastBytes = 0;
        long lastAt = System.nanoTime();
        long rate = 0;
        while (true) {
            try {
                T result = task.get(250, java.util.concurrent.TimeUnit.MILLISECONDS);
                progress.end();
                return result;
            } catch (java.util.concurrent.TimeoutException waiting) {
                String step = null;
                long done = 0;
                long total = 0;
                try {
                    if (status.status().get("publishing").orElse(null) instanceof JsonValue.JsonArray jobs) {
                        for (JsonValue j : jobs.items()) {
                            if (j instanceof JsonObject o && input.toAbsolutePath().normalize().toString().equals(o.string("path"))) {
                                step = o.string("step");
                                done = o.integer("bytesIngested");
                                total = o.integer("bytes");
                            }
                        }
                    }
                } catch (Exception unreadable) {
                    continue;
                }
                if (step == null) continue;
                long now = System.nanoTime();
                if (now - lastAt >= 1_000_000_000L) {
                    rate = (done - lastBytes) * 1_000_000_000L / (now - lastAt);
                    lastBytes = done;
                    lastAt = now;
                }
                progress.show(step, done, total, rate, -1);
            } catch (java.util.concurrent.ExecutionException e) {
                progress.end();
                if (e.getCause() instanceof Exception cause) throw cause;
                throw e;
            }
        }
    }
}
