package io.megatorrent.cli;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.content.ChannelIdentity;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;

final class GenKeyCommand extends OptionCommand {
    GenKeyCommand() {
        super("gen-key", "create a channel identity (Ed25519 key)", "[-k FILE] [-d DIR] [--read-key] [--force]");
    }

    @Override
    List<Args.Option> options() {
        return DataDir.with(List.of(
                Args.Option.value("key", 'k', "FILE", "where to write the identity (default: DIR/identity.json)"),
                Args.Option.flag("read-key", "also make a read key: the channel is private, its manifests encrypted"),
                Args.Option.flag("force", "overwrite an existing identity file (its keys are lost)")));
    }

    @Override
    String description() {
        return """
                Creates a channel identity: an Ed25519 key that signs the channel's manifests, and
                with --read-key a 32-byte read key that encrypts them. Writes it to FILE (mode 0600,
                atomically; never overwrites without --force) and prints, as JSON:
                  {"publicKey": HEX, "uri": "megatorrent://HEX", "privateUri": "megatorrent://HEX:READKEY",
                   "keyFile": PATH}
                "privateUri" only with --read-key: give it to those who may read the channel;
                "uri" lets anyone verify the channel (and read it, if it is public).""";
    }

    @Override
    int run(Args args, PrintStream out, PrintStream err) throws UsageException, IOException {
        args.noPositional();
        Path file = args.get("key").map(Path::of)
                .orElseGet(() -> DataDir.resolve(args).resolve(ChannelIdentity.DEFAULT_FILE_NAME))
                .toAbsolutePath();
        boolean force = args.has("force");
        if (!force && Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            err.println("megatorrent gen-key: " + file + " already exists; refusing to overwrite it (its key would be lost). "
                    + "Use --force to replace it.");
            return ExitCodes.FAILED;
        }
        ChannelIdentity identity = ChannelIdentity.generate(args.has("read-key"), new SecureRandom());
        try {
            identity.save(file, force);
        } catch (FileAlreadyExistsException e) {
            err.println("megatorrent gen-key: " + file + " already exists; refusing to overwrite it. Use --force to replace it.");
            return ExitCodes.FAILED;
        }
        JsonObject.Builder result = JsonObject.builder()
                .put("publicKey", Hex.encode(identity.publicKey()))
                .put("uri", identity.uri().format());
        if (identity.isPrivate()) result.put("privateUri", identity.privateUri().format());
        result.put("keyFile", file.toString());
        out.println(Json.writePretty(result.build()));
        return ExitCodes.OK;
    }
}
