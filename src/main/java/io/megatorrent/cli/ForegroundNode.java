package io.megatorrent.cli;

import io.megatorrent.node.ApiException;
import io.megatorrent.node.Daemon;
import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;

/**
 * A node run by a command in the foreground (publish or subscribe with no node serving the
 * folder): it holds the folder's lock like serve does, and is closed on exit or on a signal.
 */
final class ForegroundNode implements AutoCloseable {
    private final Daemon daemon;
    private final Thread hook;
    private final CountDownLatch signalled = new CountDownLatch(1);

    private ForegroundNode(Daemon daemon) {
        this.daemon = daemon;
        this.hook = new Thread(() -> {
            signalled.countDown();
            daemon.close();
        }, "megatorrent-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    static ForegroundNode start(Daemon.Config config, PrintStream err) throws IOException, InterruptedException {
        Daemon d = Daemon.open(config);
        ForegroundNode n = new ForegroundNode(d);
        d.start();
        return n;
    }

    Daemon daemon() {
        return daemon;
    }

    /** Waits until the process is interrupted (SIGINT, SIGTERM); the shutdown hook closes the node. */
    void awaitSignal() throws InterruptedException {
        signalled.await();
        new CountDownLatch(1).await(); // the JVM is exiting: the hook finishes the work
    }

    /** The exit code for an API error: bad input is a usage error, a missing thing a failure, the rest I/O. */
    static int exitCode(int apiCode) {
        return switch (apiCode) {
            case ApiException.INVALID_PARAMS -> ExitCodes.USAGE;
            case ApiException.FAILED -> ExitCodes.IO;
            default -> ExitCodes.FAILED;
        };
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            return; // shutting down: the hook closes the node
        }
        daemon.close();
    }
}
