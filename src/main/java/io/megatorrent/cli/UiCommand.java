package io.megatorrent.cli;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code megatorrent ui}: asks the node serving DIR for a one-time link to its web page. The node
 * makes the token (JSON-RPC {@code uiToken}, authenticated with the API token only DIR's owner
 * can read) and keeps it in memory only: no further secret is written anywhere, the link works
 * once and for five minutes, and it works the same when the API is bound elsewhere.
 */
final class UiCommand extends OptionCommand {
    UiCommand() {
        super("ui", "print a one-time link to the serving node's web page", "[-d DIR] [--open]");
    }

    @Override
    List<Args.Option> options() {
        return DataDir.with(List.of(Args.Option.flag("open", "also open the link in the browser ($BROWSER, else xdg-open)")));
    }

    @Override
    String description() {
        return """
                Prints http://127.0.0.1:PORT/?token=T, a link to the web page of the node serving DIR.
                The token works once, within 5 minutes: opening the link gives the browser a session
                cookie (HttpOnly, SameSite=Strict) and redirects it to the page. Run it again for a
                new link. The page shows subscriptions, downloads (playable while they download),
                published channels, blobs and the node's status.
                """;
    }

    @Override
    int run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.noPositional();
        Path dir = DataDir.resolve(args);
        ApiClient api = ApiClient.find(dir);
        if (api == null) {
            err.println("megatorrent ui: no node is serving " + dir + " (start one with: megatorrent serve -d " + dir + ")");
            return ExitCodes.FAILED;
        }
        String url;
        try {
            JsonValue r = api.call("uiToken", JsonObject.builder().build());
            if (!(r instanceof JsonObject o)) throw new IOException("the node answered uiToken with no object");
            url = o.string("url");
        } catch (ApiClient.CallException e) {
            err.println("megatorrent ui: " + e.getMessage());
            return ForegroundNode.exitCode(e.code);
        } catch (CodecException e) {
            throw new IOException("the node's answer to uiToken names no url: " + e.getMessage());
        }
        out.println(url);
        out.flush();
        if (args.has("open")) {
            String browser = System.getenv("BROWSER");
            List<String> command = List.of(browser == null || browser.isBlank() ? "xdg-open" : browser, url);
            try {
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            } catch (IOException e) {
                err.println("megatorrent ui: could not start " + command.get(0) + " (" + e.getMessage() + "); open the link yourself");
            }
        }
        return ExitCodes.OK;
    }
}
