package io.megatorrent.transport;

import io.megatorrent.crypto.X25519;
import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Accepts peers: a TCP listening socket, and {@link #accept(SocketChannel)} for streams that
 * arrive another way (an I2P SAM STREAM ACCEPT). Each stream gets its own virtual thread, which
 * runs the responder handshake and then the handler; the stream is closed when the handler
 * returns. {@link #close} stops accepting, closes every stream still open, interrupts their
 * handlers and waits for them to return.
 *
 * <p>What peers can make a listener hold is capped by {@link Limits}: a stream over a cap is
 * closed as soon as it is accepted, before any thread or buffer is spent on it.
 */
public final class Listener implements Closeable {
    private static final System.Logger LOG = System.getLogger(Listener.class.getName());
    /** Pending TCP connections the kernel queues before we accept them. */
    static final int BACKLOG = 4096;
    /** How long close() waits for handlers to return once their streams are closed and they are interrupted. */
    static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(10);

    /**
     * Implementation limits (PROTOCOL_FINAL.md 4.7) on the streams one listener serves at once.
     *
     * @param maxHandshakes streams still in their handshake (each holds a thread for up to the handshake timeout)
     * @param maxConnections streams served in all, handshaking or authenticated
     * @param maxPerAddress streams from one remote IP address
     * @param perAddressOnLoopback whether {@code maxPerAddress} also applies to loopback: off by
     *     default because a Tor onion service and an I2P SAM bridge hand us every inbound stream
     *     from a loopback address, so one cap would cover all peers reaching us that way
     */
    public record Limits(int maxHandshakes, int maxConnections, int maxPerAddress, boolean perAddressOnLoopback) {
        public static final int MAX_HANDSHAKES = 256;
        public static final int MAX_CONNECTIONS = 4096;
        public static final int MAX_PER_ADDRESS = 32;
        public static final Limits DEFAULT = new Limits(MAX_HANDSHAKES, MAX_CONNECTIONS, MAX_PER_ADDRESS, false);

        public Limits {
            if (maxHandshakes < 1 || maxConnections < 1 || maxPerAddress < 1) throw new IllegalArgumentException("limits must be at least 1");
        }
    }

    /** What to do with an authenticated connection; runs on the connection's own virtual thread. */
    @FunctionalInterface
    public interface Handler {
        void handle(Connection connection) throws Exception;
    }

    private final X25519.KeyPair localStatic;
    private final Connection.Timeouts timeouts;
    private final Handler handler;
    private final Limits limits;
    /** Each stream being served, with the virtual thread serving it. */
    private final Map<SocketChannel, Thread> open = new ConcurrentHashMap<>();
    /** Guards the three counts below, so a check and its increment are one step. Never held across I/O. */
    private final ReentrantLock admission = new ReentrantLock();
    private int connections;
    private int handshakes;
    private final Map<InetAddress, Integer> perAddress = new HashMap<>();
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private volatile boolean closed;

    private Listener(ServerSocketChannel server, X25519.KeyPair localStatic, Connection.Timeouts timeouts, Limits limits, Handler handler) {
        this.server = server;
        this.limits = limits;
        this.localStatic = localStatic;
        this.timeouts = timeouts;
        this.handler = handler;
        this.acceptor = server == null ? null : Thread.ofVirtual().name("transport-accept").unstarted(this::acceptLoop);
    }

    /** Listens on {@code bind} (port 0 for an ephemeral port) with the default {@link Limits}. */
    public static Listener open(InetSocketAddress bind, X25519.KeyPair localStatic, Connection.Timeouts timeouts, Handler handler) throws IOException {
        return open(bind, localStatic, timeouts, Limits.DEFAULT, handler);
    }

    /** Listens on {@code bind} (port 0 for an ephemeral port). */
    public static Listener open(InetSocketAddress bind, X25519.KeyPair localStatic, Connection.Timeouts timeouts, Limits limits, Handler handler)
            throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.bind(bind, BACKLOG);
        } catch (IOException e) {
            server.close();
            throw e;
        }
        Listener l = new Listener(server, localStatic, timeouts, limits, handler);
        l.acceptor.start();
        return l;
    }

    /** A listener without a socket of its own, fed only through {@link #accept(SocketChannel)}. */
    public static Listener withoutSocket(X25519.KeyPair localStatic, Connection.Timeouts timeouts, Handler handler) {
        return withoutSocket(localStatic, timeouts, Limits.DEFAULT, handler);
    }

    /** A listener without a socket of its own, fed only through {@link #accept(SocketChannel)}. */
    public static Listener withoutSocket(X25519.KeyPair localStatic, Connection.Timeouts timeouts, Limits limits, Handler handler) {
        return new Listener(null, localStatic, timeouts, limits, handler);
    }

    public InetSocketAddress localAddress() throws IOException {
        if (server == null) throw new IllegalStateException("listener has no socket");
        return (InetSocketAddress) server.getLocalAddress();
    }

    /** Serves one connected blocking stream from any source; returns at once. Over a {@link Limits} cap, closes it. */
    public void accept(SocketChannel channel) {
        if (closed) {
            Connection.closeQuietly(channel);
            return;
        }
        InetAddress ip = remoteIp(channel);
        String refused = admit(ip);
        if (refused != null) {
            LOG.log(Level.DEBUG, "refusing {0}: {1}", Connection.describe(channel), refused);
            Connection.closeQuietly(channel);
            return;
        }
        Thread thread = Thread.ofVirtual().name("transport-peer").unstarted(() -> serve(channel, ip));
        open.put(channel, thread);
        if (closed) { // close() may have run between the check and the put
            open.remove(channel);
            handshakeEnded();
            release(ip);
            Connection.closeQuietly(channel);
            return;
        }
        thread.start();
    }

    private void serve(SocketChannel channel, InetAddress ip) {
        try {
            Connection c;
            try {
                c = Connection.accept(channel, localStatic, timeouts);
            } finally {
                handshakeEnded();
            }
            try (c) {
                handler.handle(c);
            }
        } catch (Exception e) {
            // Handshake failures are logged by Connection; this is the handler's own failure or the peer leaving.
            LOG.log(Level.DEBUG, "connection from {0} ended: {1}", Connection.describe(channel), e.toString());
        } finally {
            open.remove(channel);
            release(ip);
            Connection.closeQuietly(channel);
        }
    }

    /** The stream's remote IP, or null when it has none (not TCP) or is already closed. */
    private static InetAddress remoteIp(SocketChannel channel) {
        try {
            return channel.getRemoteAddress() instanceof InetSocketAddress a && !a.isUnresolved() ? a.getAddress() : null;
        } catch (IOException e) {
            return null;
        }
    }

    private boolean countsPerAddress(InetAddress ip) {
        return ip != null && (limits.perAddressOnLoopback() || !ip.isLoopbackAddress());
    }

    /** Counts the stream in, or says which cap it is over (and counts nothing). */
    private String admit(InetAddress ip) {
        admission.lock();
        try {
            if (connections >= limits.maxConnections()) return limits.maxConnections() + " connections open (Listener.Limits.maxConnections)";
            if (handshakes >= limits.maxHandshakes()) return limits.maxHandshakes() + " handshakes in progress (Listener.Limits.maxHandshakes)";
            if (countsPerAddress(ip)) {
                int n = perAddress.getOrDefault(ip, 0);
                if (n >= limits.maxPerAddress()) return n + " connections from " + ip.getHostAddress() + " (Listener.Limits.maxPerAddress)";
                perAddress.put(ip, n + 1);
            }
            connections++;
            handshakes++;
            return null;
        } finally {
            admission.unlock();
        }
    }

    private void handshakeEnded() {
        admission.lock();
        try {
            handshakes--;
        } finally {
            admission.unlock();
        }
    }

    private void release(InetAddress ip) {
        admission.lock();
        try {
            connections--;
            if (countsPerAddress(ip)) perAddress.computeIfPresent(ip, (k, n) -> n == 1 ? null : n - 1);
        } finally {
            admission.unlock();
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
