package io.megatorrent.transport;

import io.megatorrent.crypto.X25519;
import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Accepts peers: a TCP listening socket, and {@link #accept(SocketChannel)} for streams that
 * arrive another way (an I2P SAM STREAM ACCEPT). Each stream gets its own virtual thread, which
 * runs the responder handshake and then the handler; the stream is closed when the handler
 * returns. {@link #close} stops accepting, closes every stream still open, interrupts their
 * handlers and waits for them to return.
 */
public final class Listener implements Closeable {
    private static final System.Logger LOG = System.getLogger(Listener.class.getName());
    /** Pending TCP connections the kernel queues before we accept them. */
    static final int BACKLOG = 4096;
    /** How long close() waits for handlers to return once their streams are closed and they are interrupted. */
    static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(10);

    /** What to do with an authenticated connection; runs on the connection's own virtual thread. */
    @FunctionalInterface
    public interface Handler {
        void handle(Connection connection) throws Exception;
    }

    private final X25519.KeyPair localStatic;
    private final Connection.Timeouts timeouts;
    private final Handler handler;
    /** Each stream being served, with the virtual thread serving it. */
    private final Map<SocketChannel, Thread> open = new ConcurrentHashMap<>();
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private volatile boolean closed;

    private Listener(ServerSocketChannel server, X25519.KeyPair localStatic, Connection.Timeouts timeouts, Handler handler) {
        this.server = server;
        this.localStatic = localStatic;
        this.timeouts = timeouts;
        this.handler = handler;
        this.acceptor = server == null ? null : Thread.ofVirtual().name("transport-accept").unstarted(this::acceptLoop);
    }

    /** Listens on {@code bind} (port 0 for an ephemeral port). */
    public static Listener open(InetSocketAddress bind, X25519.KeyPair localStatic, Connection.Timeouts timeouts, Handler handler) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.bind(bind, BACKLOG);
        } catch (IOException e) {
            server.close();
            throw e;
        }
        Listener l = new Listener(server, localStatic, timeouts, handler);
        l.acceptor.start();
        return l;
    }

    /** A listener without a socket of its own, fed only through {@link #accept(SocketChannel)}. */
    public static Listener withoutSocket(X25519.KeyPair localStatic, Connection.Timeouts timeouts, Handler handler) {
        return new Listener(null, localStatic, timeouts, handler);
    }

    public InetSocketAddress localAddress() throws IOException {
        if (server == null) throw new IllegalStateException("listener has no socket");
        return (InetSocketAddress) server.getLocalAddress();
    }

    /** Serves one connected blocking stream from any source; returns at once. */
    public void accept(SocketChannel channel) {
        if (closed) {
            Connection.closeQuietly(channel);
            return;
        }
        Thread thread = Thread.ofVirtual().name("transport-peer").unstarted(() -> serve(channel));
        open.put(channel, thread);
        if (closed) { // close() may have run between the check and the put
            open.remove(channel);
            Connection.closeQuietly(channel);
            return;
        }
        thread.start();
    }

    private void serve(SocketChannel channel) {
        try (Connection c = Connection.accept(channel, localStatic, timeouts)) {
            handler.handle(c);
        } catch (Exception e) {
            // Handshake failures are logged by Connection; this is the handler's own failure or the peer leaving.
            LOG.log(Level.DEBUG, "connection from {0} ended: {1}", Connection.describe(channel), e.toString());
        } finally {
            open.remove(channel);
            Connection.closeQuietly(channel);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                accept(server.accept());
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (closed) return;
                LOG.log(Level.WARNING, "accept failed: {0}", e.toString());
                try {
                    Thread.sleep(100); // e.g. out of file descriptors: do not spin
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** Streams currently being served. */
    public int openConnections() {
        return open.size();
    }

    @Override
    public void close() throws IOException {
        closed = true;
        if (server != null) server.close();
        open.forEach((channel, thread) -> {
            Connection.closeQuietly(channel);
            thread.interrupt();
        });
        try {
            if (acceptor != null) acceptor.join();
            long deadline = System.nanoTime() + SHUTDOWN_WAIT.toNanos();
            for (Thread t : open.values()) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !t.join(Duration.ofNanos(left))) {
                    LOG.log(Level.WARNING, "a connection handler did not stop within {0} s of closing the listener", SHUTDOWN_WAIT.toSeconds());
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
