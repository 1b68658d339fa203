package io.megatorrent.cli;

import java.nio.file.Path;
import java.util.List;

/** The folder that holds a node's state: identity keys, DHT state, blob store. */
public final class DataDir {
    public static final Args.Option OPTION =
            Args.Option.value("data-dir", 'd', "DIR", "state folder (default $XDG_DATA_HOME/megatorrent or ~/.local/share/megatorrent)");

    private DataDir() {}

    public static Path resolve(Args args) {
        return args.get("data-dir").map(Path::of).orElseGet(DataDir::defaultDir).toAbsolutePath();
    }

    public static Path defaultDir() {
        String xdg = System.getenv("XDG_DATA_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) return Path.of(xdg, "megatorrent");
        return Path.of(System.getProperty("user.home"), ".local", "share", "megatorrent");
    }

    /** Options plus the data-dir option, for commands that keep state. */
    public static List<Args.Option> with(List<Args.Option> options) {
        var all = new java.util.ArrayList<>(options);
        all.add(OPTION);
        return List.copyOf(all);
    }
}
