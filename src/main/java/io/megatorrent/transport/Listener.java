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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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
 * <p>What peers can make a listener hold is capped by {@link Limits}. When every handshake slot
 * is taken, a newcomer evicts the oldest handshake of the source holding the most of them; when
 * every connection slot is taken, it evicts the connection heard from least recently among those
 * of the source holding the most (a source: an IPv4 address, an IPv6 /64; every loopback stream,
 * as a Tor onion service or an I2P router hands them over, is one source). So silent sockets and
 * idle connections cannot lock anyone out, even when all come from one address. A stream over
 * its address's cap is closed as soon as it is accepted, before any thread or buffer is spent on it.
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
     * @param maxPerAddress streams from one remote IPv4 address or IPv6 /64
     * @param perAddressOnLoopback whether {@code maxPerAddress} also applies to loopback: off by
     *     default because a Tor onion service and an I2P SAM bridge hand us every inbound stream
     *     from a loopback address, so one cap would cover all peers reaching us that way
     */
    public record Limits(int maxHandshakes, int maxConnections, int maxPerAddress, boolean perAddressOnLoopback) {
        public static final int MAX_HANDSHAKES = 256;
        public static final int MAX_CONNECTIONS = 4096;
        public static final int MAX_PER_ADDRESS = 32;
        /**
         * Heap one authenticated stream can make us hold at most, measured (README): its read
         * buffers with a frame in progress (about 192 KiB) and what its handler keeps.
         */
        public static final int HEAP_PER_CONNECTION = 256 << 10;
        /**
         * Streams this JVM's heap holds with room to spare: half the heap at {@link
         * #HEAP_PER_CONNECTION} each, between 64 and {@link #MAX_CONNECTIONS} (512 on a 256 MiB
         * heap, 4096 from 2 GiB), so a full listener cannot run the node out of memory.
         */
        public static final int CONNECTIONS_FOR_HEAP = (int) Math.max(64, Math.min(MAX_CONNECTIONS, Runtime.getRuntime().maxMemory() / 2 / HEAP_PER_CONNECTION));
        public static final Limits DEFAULT = new Limits(MAX_HANDSHAKES, CONNECTIONS_FOR_HEAP, MAX_PER_ADDRESS, false);

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
    /** Each stream counted in, in order of arrival (guarded by admission). */
    private final Map<SocketChannel, Slot> slots = new java.util.LinkedHashMap<>();
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
        Slot slot = new Slot(channel, sourceKey(remoteIp(channel)));
        List<Slot> evicted = new ArrayList<>();
        String refused = admit(slot, evicted);
        for (Slot e : evicted) {
            LOG.log(Level.DEBUG, "evicting {0} to make room for {1}", Connection.describe(e.channel), Connection.describe(channel));
            Connection.closeQuietly(e.channel);
        }
        if (refused != null) {
            LOG.log(Level.DEBUG, "refusing {0}: {1}", Connection.describe(channel), refused);
            Connection.closeQuietly(channel);
            return;
        }
        Thread thread = Thread.ofVirtual().name("transport-peer").unstarted(() -> serve(slot));
        open.put(channel, thread);
        if (closed) { // close() may have run between the check and the put
            open.remove(channel);
            handshakeEnded(slot);
            release(slot);
            Connection.closeQuietly(channel);
            return;
        }
        thread.start();
    }

    private void serve(Slot slot) {
        SocketChannel channel = slot.channel;
        try {
            Connection c;
            try {
                c = Connection.accept(channel, localStatic, timeouts);
            } finally {
                handshakeEnded(slot);
            }
            slot.connection = c;
            try (c) {
                handler.handle(c);
            }
        } catch (Exception e) {
            // Handshake failures are logged by Connection; this is the handler's own failure or the peer leaving.
            LOG.log(Level.DEBUG, "connection from {0} ended: {1}", Connection.describe(channel), e.toString());
        } catch (Error e) {
            // e.g. OutOfMemoryError in this connection's handler: this stream ends, the listener serves on
            LOG.log(Level.WARNING, "connection from " + Connection.describe(channel) + " ended: " + e, e);
        } finally {
            open.remove(channel);
            release(slot);
            Connection.closeQuietly(channel);
        }
    }

    /** One stream counted in: its source and whether it still holds a handshake slot and a connection slot. */
    private static final class Slot {
        final SocketChannel channel;
        /** The per-address key (IPv4 address, IPv6 /64), or null when the stream has no IP address. */
        final InetAddress source;
        final long arrived = System.nanoTime();
        /** Set once the handshake succeeded; read for eviction. */
        volatile Connection connection;
        boolean holdsHandshake = true; // guarded by admission
        boolean counted = true; // guarded by admission

        Slot(SocketChannel channel, InetAddress source) {
            this.channel = channel;
            this.source = source;
        }

        /** When it was last heard from: for a connection its last whole message, for a handshake its arrival. */
        long heard() {
            Connection c = connection;
            return c == null ? arrived : c.lastHeardNanos();
        }
    }

    /** The key per-address caps count under: the IPv4 address, or the /64 of an IPv6 one (a host usually holds a whole /64). */
    static InetAddress sourceKey(InetAddress ip) {
        if (!(ip instanceof java.net.Inet6Address) || ip.isLoopbackAddress()) return ip;
        byte[] b = ip.getAddress();
        java.util.Arrays.fill(b, 8, 16, (byte) 0);
        try {
            return InetAddress.getByAddress(b);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError("16 bytes are always an IPv6 address", e);
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

    /**
     * Counts the stream in, making room by eviction when a slot cap is reached (the evicted go to
     * {@code evicted}, for the caller to close outside the lock), or says which cap it is over.
     */
    private String admit(Slot slot, List<Slot> evicted) {
        InetAddress ip = slot.source;
        admission.lock();
        try {
            if (countsPerAddress(ip) && perAddress.getOrDefault(ip, 0) >= limits.maxPerAddress())
                return perAddress.get(ip) + " connections from " + ip.getHostAddress() + " (Listener.Limits.maxPerAddress)";
            if (connections >= limits.maxConnections()) {
                Slot victim = victim(false);
                if (victim == null) return limits.maxConnections() + " connections open (Listener.Limits.maxConnections)";
                evict(victim, evicted);
            }
            if (handshakes >= limits.maxHandshakes()) {
                Slot victim = victim(true);
                if (victim == null) return limits.maxHandshakes() + " handshakes in progress (Listener.Limits.maxHandshakes)";
                evict(victim, evicted);
            }
            if (countsPerAddress(ip)) perAddress.merge(ip, 1, Integer::sum);
            connections++;
            handshakes++;
            slots.put(slot.channel, slot);
            return null;
        } finally {
            admission.unlock();
        }
    }

    /**
     * Whom a newcomer displaces: among the streams of the source holding the most (handshakes, or
     * all streams), the one heard from least recently. Called with the admission lock held.
     */
    private Slot victim(boolean handshaking) {
        Map<InetAddress, Integer> held = new HashMap<>();
        int most = 0;
        for (Slot s : slots.values()) {
            if (handshaking && !s.holdsHandshake) continue;
            int n = held.merge(s.source == null ? NO_ADDRESS : s.source, 1, Integer::sum);
            most = Math.max(most, n);
        }
        Slot victim = null;
        for (Slot s : slots.values()) {
            if (handshaking && !s.holdsHandshake) continue;
            if (held.get(s.source == null ? NO_ADDRESS : s.source) != most) continue;
            if (victim == null || s.heard() - victim.heard() < 0) victim = s;
        }
        return victim;
    }

    /** Stands for streams without an IP address in the eviction counts. */
    private static final InetAddress NO_ADDRESS = InetAddress.getLoopbackAddress();

    /** Gives the victim's slots back now (its thread then finds them given back); the caller closes its stream. */
    private void evict(Slot victim, List<Slot> evicted) {
        handshakeEndedLocked(victim);
        releaseLocked(victim);
        evicted.add(victim);
    }

    private void handshakeEnded(Slot slot) {
        admission.lock();
        try {
            handshakeEndedLocked(slot);
        } finally {
            admission.unlock();
        }
    }

    private void handshakeEndedLocked(Slot slot) {
        if (!slot.holdsHandshake) return;
        slot.holdsHandshake = false;
        handshakes--;
    }

    private void release(Slot slot) {
        admission.lock();
        try {
            handshakeEndedLocked(slot);
            releaseLocked(slot);
        } finally {
            admission.unlock();
        }
    }

    private void releaseLocked(Slot slot) {
        if (!slot.counted) return;
        slot.counted = false;
        slots.remove(slot.channel);
        connections--;
        InetAddress ip = slot.source;
        if (countsPerAddress(ip)) perAddress.computeIfPresent(ip, (k, n) -> n == 1 ? null : n - 1);
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                accept(server.accept());
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException | Error e) {
                // an Error too (OutOfMemoryError while starting a thread): this stream is lost, the listener goes on
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
