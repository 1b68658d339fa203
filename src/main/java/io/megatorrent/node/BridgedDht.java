package io.megatorrent.node;

import io.megatorrent.crypto.X25519;
import io.megatorrent.codec.BValue;
import io.megatorrent.dht.DhtClient;
import io.megatorrent.dht.DhtNode;
import io.megatorrent.dht.DhtOperations;
import io.megatorrent.dht.NodeId;
import io.megatorrent.dht.KrpcException;
import io.megatorrent.dht.KrpcMessage;
import io.megatorrent.dht.KrpcTransport;
import io.megatorrent.transport.Dialer;
import io.megatorrent.transport.PeerTarget;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A safe-mode node's whole view of the DHT: a {@link DhtClient} over one bridge connection at a
 * time (PROTOCOL_FINAL.md 7), made through the node's dialer (SOCKS5 or SAM) with a fresh
 * static key each time, and made again, to the first bridge that answers, when it drops.
 */
final class BridgedDht implements KrpcTransport, DhtOperations, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(BridgedDht.class.getName());

    private final Dialer dialer;
    private final List<PeerTarget> bridges;
    private final DhtClient client = new DhtClient(this);
    private final ReentrantLock connecting = new ReentrantLock();
    private volatile BridgeTransport current;
    private volatile boolean closed;
    /** Bridge connections made over the node's life. */
    final java.util.concurrent.atomic.AtomicLong connections = new java.util.concurrent.atomic.AtomicLong();

    BridgedDht(Dialer dialer, List<PeerTarget> bridges) {
        if (bridges.isEmpty()) throw new IllegalArgumentException("a safe-mode node needs at least one bridge");
        this.dialer = dialer;
        this.bridges = List.copyOf(bridges);
    }

    DhtClient client() {
        return client;
    }

    /**
     * A lookup starts from what the bridge's node returned (DhtClient seeds), so every operation
     * first makes sure a bridge connection is open and seeded; with no bridge reachable it goes
     * on and finds nothing, like a UDP node with an empty table.
     */
    private void connect() throws InterruptedException {
        try {
            transport();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "no DHT bridge reachable: " + e.getMessage());
        }
    }

    /** Holders of {@code shortId} the bridge knows from announces (4.5.1); empty when no bridge answers. */
    List<io.megatorrent.transport.Message.PeerEntry> findPeers(byte[] shortId) throws InterruptedException {
        try {
            return transport().findPeers(shortId);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "MSG_FIND_PEERS at the bridge failed: " + e.getMessage());
            return List.of();
        }
    }

    /**
     * Tells the bridge this node (reachable only at {@code self}, a .onion or .i2p address, with
     * its static key) holds these blobs: its own entry in an unsolicited MSG_PEERS, then
     * MSG_ANNOUNCE (4.5.1). Returns whether it was sent.
     */
    boolean announceHidden(io.megatorrent.transport.Message.PeerEntry self, List<byte[]> shortIds) throws InterruptedException {
        try {
            BridgeTransport t = transport();
            t.send(new io.megatorrent.transport.Message.Peers(0, List.of(self)));
            for (int i = 0; i < shortIds.size(); i += io.megatorrent.transport.Message.MAX_ANNOUNCE_IDS) {
                t.send(new io.megatorrent.transport.Message.Announce(shortIds.subList(i, Math.min(shortIds.size(), i + io.megatorrent.transport.Message.MAX_ANNOUNCE_IDS))));
            }
            return true;
        } catch (IOException e) {
            LOG.log(Level.INFO, "announcing to the bridge failed: " + e.getMessage());
            return false;
        }
    }

    @Override
    public DhtNode.PutResult putMutable(byte[] seed, byte[] salt, BValue value, Long seq, Duration timeout) throws InterruptedException {
        connect();
        return client.putMutable(seed, salt, value, seq, timeout);
    }

    @Override
    public DhtNode.PutResult putSigned(byte[] publicKey, byte[] salt, BValue value, long seq, byte[] signature, Duration timeout) throws InterruptedException {
        connect();
        return client.putSigned(publicKey, salt, value, seq, signature, timeout);
    }

    @Override
    public Optional<DhtNode.Item> getMutable(byte[] publicKey, byte[] salt, Duration timeout) throws InterruptedException {
        connect();
        return client.getMutable(publicKey, salt, timeout);
    }

    @Override
    public DhtNode.PutResult putImmutable(BValue value, Duration timeout) throws InterruptedException {
        connect();
        return client.putImmutable(value, timeout);
    }

    @Override
    public Optional<DhtNode.Item> getImmutable(NodeId target, Duration timeout) throws InterruptedException {
        connect();
        return client.getImmutable(target, timeout);
    }

    @Override
    public int announce(NodeId infohash, int port, Duration timeout) throws InterruptedException {
        connect();
        return client.announce(infohash, port, timeout);
    }

    @Override
    public List<InetSocketAddress> getPeers(NodeId infohash, Duration timeout) throws InterruptedException {
        connect();
        return client.getPeers(infohash, timeout);
    }

    /** Attempts at the first bridge connection made at start, 3 s apart: an I2P destination just published takes a few seconds to be found. */
    static final int FIRST_CONNECT_ATTEMPTS = 20;

    /** Connects in the background now, so the node is in the DHT before its first lookup needs it (and status says so). */
    void connectSoon() {
        Thread.ofVirtual().name("dht-bridge-connect").start(() -> {
            for (int attempt = 0; attempt < FIRST_CONNECT_ATTEMPTS && !closed && !connected(); attempt++) {
                try {
                    transport();
                    return;
                } catch (IOException e) {
                    LOG.log(Level.INFO, "no DHT bridge reachable yet: " + e.getMessage());
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    Thread.sleep(3_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /** Whether a bridge connection is open now. */
    boolean connected() {
        BridgeTransport t = current;
        return t != null && t.isOpen();
    }

    /** The open bridge connection, made (and the client seeded from the bridge's node) when there is none. */
    BridgeTransport transport() throws IOException, InterruptedException {
        BridgeTransport t = current;
        if (t != null && t.isOpen()) return t;
        connecting.lockInterruptibly();
        try {
            t = current;
            if (t != null && t.isOpen()) return t;
            if (closed) throw new IOException("node closed");
            t = BridgeTransport.connectAny(dialer, bridges, X25519.generate(), BridgeTransport.DEFAULT_QUERY_TIMEOUT);
            current = t;
            connections.incrementAndGet();
            // seeded before anyone else uses the connection (its queries find it open and skip this lock)
            try {
                client.bootstrap();
            } catch (KrpcException | IOException e) {
                LOG.log(Level.INFO, "the bridge's node did not answer find_node: " + e.getMessage());
            }
            return t;
        } finally {
            connecting.unlock();
        }
    }

    @Override
    public KrpcMessage.Response query(InetSocketAddress to, KrpcMessage.Query query) throws KrpcException, IOException, InterruptedException {
        BridgeTransport t = transport();
        try {
            return t.query(to, query);
        } catch (IOException e) {
            if (t.isOpen() || closed) throw e;
            // the bridge went away under this query: once more through a new connection
            return transport().query(to, query);
        }
    }

    @Override
    public void close() {
        closed = true;
        BridgeTransport t = current;
        if (t != null) t.close();
    }
}
