package io.megatorrent.cli;

/** The command line is wrong: printed as one line, exit code 2. */
public final class UsageException extends Exception {
    public UsageException(String message) {
        super(message);
    }
}
