package io.megatorrent.transport;

import io.megatorrent.crypto.X25519;
import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Accepts peers: a TCP listening socket, and {@link #accept(SocketChannel)} for streams that
 * arrive another way (an I2P SAM STREAM ACCEPT). Each stream gets its own virtual thread, which
 * runs the responder handshake and then the handler; the stream is closed when the handler
 * returns. {@link #close} stops accepting and closes every stream still open.
 */
public final class Listener implements Closeable {
    private static final System.Logger LOG = System.getLogger(Listener.class.getName());
    /** Pending TCP connections the kernel queues before we accept them. */
    static final int BACKLOG = 4096;

    /** What to do with an authenticated connection; runs on the connection's own virtual thread. */
    @FunctionalInterface
    public interface Handler {
        void handle(Connection connection) throws Exception;
    }

    private final X25519.KeyPair localStatic;
    private final Connection.Timeouts timeouts;
    private final Handler handler;
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
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
        open.add(channel);
        if (closed) { // close() may have run between the check and the add
            open.remove(channel);
            Connection.closeQuietly(channel);
            return;
        }
        Thread.ofVirtual().name("transport-peer").start(() -> serve(channel));
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
        for (SocketChannel c : open) Connection.closeQuietly(c);
        if (acceptor != null) {
            try {
                acceptor.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
