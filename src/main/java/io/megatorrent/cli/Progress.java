package io.megatorrent.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Progress on stderr: on a terminal one line redrawn in place (bytes, rate, peers, ETA); when
 * stderr is a file or a pipe, one line per step, only when the step changes, so logs stay short.
 */
final class Progress {
    private final PrintStream err;
    private final boolean terminal;
    private String lastStep = "";
    private boolean drawn;

    Progress(PrintStream err) {
        this.err = err;
        this.terminal = err == System.err && stderrIsTerminal();
    }

    /** Whether fd 2 is a terminal (Linux: it links to a tty or pty device). */
    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return false;
        }
    }

    /** Shows where a job stands: {@code step} names the phase; bytes, rate and peers (none when negative) describe it. */
    void show(String step, long done, long total, long rate, long peers) {
        if (terminal) {
            String eta = rate > 0 && total > done ? " ETA " + (total - done) / rate + " s" : "";
            String line = String.format(Locale.ROOT, "\r%-18s %s / %s  %s/s%s%s", step, size(done), size(total), size(rate), peers < 0 ? "" : "  " + peers + " peers", eta);
            err.print(line + "\u001b[K");
            err.flush();
            drawn = true;
        } else if (!step.equals(lastStep)) {
            err.println(step + (total > 0 ? " (" + size(total) + ")" : ""));
            lastStep = step;
        }
    }

    /** A line of its own (ends the progress line on a terminal). */
    void say(String message) {
        end();
        err.println(message);
    }

    void end() {
        if (drawn) {
            err.println();
            drawn = false;
        }
    }

    static String size(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1 << 20) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        if (bytes < 1L << 30) return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
        return String.format(Locale.ROOT, "%.2f GiB", bytes / 1073741824.0);
    }
}
