package io.megatorrent.cli;

/** Process exit codes, listed in {@code --help}. */
public final class ExitCodes {
    public static final int OK = 0;
    /** The operation ran but did not succeed: nothing found, a check failed, a vector failed. */
    public static final int FAILED = 1;
    /** The command line is wrong. */
    public static final int USAGE = 2;
    /** Input or output failed: unreadable file, bad data, network error. */
    public static final int IO = 3;
    /** A bug: an unexpected exception. */
    public static final int INTERNAL = 4;

    static final String HELP = """
            Exit codes:
              0  success
              1  the operation did not succeed (nothing found, a check or vector failed)
              2  usage error (unknown command or flag, bad value)
              3  I/O or data error (unreadable file, malformed input, network failure)
              4  internal error (a bug: please report it)
            """;

    private ExitCodes() {}
}
