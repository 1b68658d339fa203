package io.megatorrent.dht;

import io.megatorrent.codec.BValue;
import io.megatorrent.dht.KrpcMessage.*;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A DHT client without a UDP socket of its own: every query goes through a {@link KrpcTransport}
 * that reaches a bridge (PROTOCOL_FINAL.md 7). The address {@link #BRIDGE_NODE} stands for the
 * bridge's own DHT node (node_kind 0); any other address is a node the bridge forwards to. The
 * lookups are the same {@link Lookup} the UDP node runs, seeded with what the bridge's node
 * knows. Like a BEP 43 client it has a fresh random id, marks its queries read-only, holds no
 * routing table and persists nothing. One-shot: make one per command.
 */
public final class DhtClient implements DhtOperations {
    private static final System.Logger LOG = System.getLogger(DhtClient.class.getName());

    /** "The bridge's own node": 0.0.0.0 port 0 is no DHT node's address (port 0 nodes are skipped). */
    public static final InetSocketAddress BRIDGE_NODE;

    static {
        try {
            BRIDGE_NODE = new InetSocketAddress(InetAddress.getByAddress(new byte[4]), 0);
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final KrpcTransport transport;
    private final NodeId id = NodeId.random();
    private final List<NodeInfo> seeds = new ArrayList<>();
    private NodeId bridgeId;

    private final ItemOperations items;

    public DhtClient(KrpcTransport transport) {
        this.transport = transport;
        this.items = new ItemOperations(this::lookup, transport, id);
    }

    public NodeId id() {
        return id;
    }

    /** The bridge node's DHT id once {@link #bootstrap} has reached it, else null. */
    public NodeId bridgeId() {
        return bridgeId;
    }

    /**
     * Asks the bridge's node for the nodes closest to our id: they and the bridge's node seed
     * every lookup. Fails when the bridge's node does not answer.
     */
    public void bootstrap() throws IOException, KrpcException, InterruptedException {
        Response r = transport.query(BRIDGE_NODE, new FindNode(id, id));
        if (!(r instanceof FindNodeResponse f)) throw new IOException("the bridge answered find_node with " + r.getClass().getSimpleName());
        synchronized (seeds) {
            seeds.clear();
            bridgeId = r.id();
            seeds.add(new NodeInfo(r.id(), BRIDGE_NODE));
            for (NodeInfo n : f.nodes()) if (!n.id().equals(id) && !n.id().equals(r.id())) seeds.add(n);
        }
    }

    private Lookup.Result lookup(NodeId target, Lookup.Kind kind, byte[] salt, boolean stopAtFirstItem, long deadline) throws InterruptedException {
        List<NodeInfo> s;
        synchronized (seeds) {
            s = List.copyOf(seeds);
        }
        return new Lookup(transport, id, target, kind, salt, stopAtFirstItem).run(s, deadline);
    }

    @Override
    public List<InetSocketAddress> getPeers(NodeId infohash, Duration timeout) throws InterruptedException {
        return items.getPeers(infohash, timeout);
    }

    /**
     * Announces {@code port} for infohash at the bridge's own node, which stores it with the
     * address our stream comes from (bridges do not forward announce_peer, section 7).
     * Returns 1 when stored, 0 when not. Two single queries, each bounded by the transport's own
     * query timeout, so {@code timeout} (kept for the same shape as {@link DhtNode#announce}) is not needed.
     */
    @Override
    public int announce(NodeId infohash, int port, Duration timeout) throws InterruptedException {
        if (port < 1 || port > 65535) throw new IllegalArgumentException("a bridged announce needs an explicit port 1..65535");
        try {
            Response r = transport.query(BRIDGE_NODE, new GetPeers(id, infohash));
            if (!(r instanceof GetPeersResponse g) || g.token() == null) return 0;
            transport.query(BRIDGE_NODE, new AnnouncePeer(id, infohash, port, false, g.token()));
            return 1;
        } catch (KrpcException | IOException e) {
            LOG.log(System.Logger.Level.INFO, "announce at the bridge failed: " + e.getMessage());
            return 0;
        }
    }

    @Override
    public Optional<DhtNode.Item> getImmutable(NodeId target, Duration timeout) throws InterruptedException {
        return items.getImmutable(target, timeout);
    }

    @Override
    public Optional<DhtNode.Item> getMutable(byte[] publicKey, byte[] salt, Duration timeout) throws InterruptedException {
        return items.getMutable(publicKey, salt, timeout);
    }

    @Override
    public DhtNode.PutResult putImmutable(BValue value, Duration timeout) throws InterruptedException {
        return items.putImmutable(value, timeout);
    }

    /** Signs and puts a mutable item; seq null means one above the highest found (0 when none is found). */
    @Override
    public DhtNode.PutResult putSigned(byte[] publicKey, byte[] salt, BValue value, long seq, byte[] signature, Duration timeout) throws InterruptedException {
        return items.putSigned(publicKey, salt, value, seq, signature, timeout);
    }

    @Override
    public DhtNode.PutResult putMutable(byte[] seed, byte[] salt, BValue value, Long seq, Duration timeout) throws InterruptedException {
        return items.putMutable(seed, salt, value, seq, timeout);
    }
}
