package io.megatorrent.node;

import io.megatorrent.dht.DhtBridge;
import io.megatorrent.dht.DhtNode;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Message;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * DHT over TCP, bridge side (PROTOCOL_FINAL.md 7): answers MSG_DHT_QUERY on a node's
 * connections from its own DHT node (node_kind 0) or by forwarding the query over its UDP socket
 * (node_kind 4, 6), with per-connection bounds. {@link BlobServer} hands it the queries of each
 * connection through a {@link Session}.
 */
public final class BridgeService {
    private static final System.Logger LOG = System.getLogger(BridgeService.class.getName());

    /** Queries of one connection being answered at once; one more is answered MSG_ERROR 3 (busy). */
    public static final int MAX_IN_FLIGHT = 32;
    /** Sustained queries per second per connection, and the burst allowed above it. */
    public static final int RATE_PER_SECOND = 50;
    public static final int RATE_BURST = 100;
    /** Connections that may use the bridge at once; the queries of others are answered busy. */
    public static final int MAX_CLIENTS = 256;
    /**
     * Connections from one source (IPv4 address, IPv6 /64) that may use the bridge at once, so
     * one host cannot take every client slot. Streams relayed by a local proxy are not counted
     * per source (their address is the proxy's): see {@link #MAX_PROXIED_CLIENTS}.
     */
    public static final int MAX_CLIENTS_PER_SOURCE = 8;
    /**
     * Connections relayed by a local proxy (an I2P SAM bridge, or a Tor onion service: a stream
     * from a loopback address while our DHT node is not itself on loopback) that may use the
     * bridge at once: half the slots, so they cannot starve direct clients nor the other way round.
     */
    public static final int MAX_PROXIED_CLIENTS = MAX_CLIENTS / 2;

    private final DhtBridge bridge;
    private final boolean streamAddressIsPeer;
    /** Sessions holding a client slot; guarded by this. */
    private final java.util.Set<Session> holding = new java.util.HashSet<>();
    private final java.util.Map<java.net.InetAddress, Integer> clientsPerSource = new java.util.HashMap<>();
    /** Stands for every proxied stream in the per-group counts. */
    private static final java.net.InetAddress PROXIED = proxiedMarker();
    private int proxiedClients;

    /** Counters, for reports and tests. */
    public final AtomicLong answered = new AtomicLong();
    public final AtomicLong refused = new AtomicLong();
    /** Sessions closed to make room for a newcomer. */
    public final AtomicLong evicted = new AtomicLong();

    /**
     * streamAddressIsPeer: the streams' remote addresses are the clients' own (TCP accept), so an
     * announce_peer may store them; false for streams relayed by a local proxy (I2P SAM), where
     * the remote address is the proxy's and nothing is announced.
     */
    public BridgeService(DhtNode node, boolean streamAddressIsPeer) {
        this.bridge = new DhtBridge(node);
        this.streamAddressIsPeer = streamAddressIsPeer;
    }

    /** Per-connection state: its token pseudo-address, its in-flight count and its rate bucket. */
    public Session open(Connection connection) {
        return new Session(connection);
    }

    public final class Session implements AutoCloseable {
        private final Connection connection;
        private final AtomicInteger inFlight = new AtomicInteger();
        private volatile DhtBridge.Client client; // made at the first query, when a client slot is taken
        private java.net.InetAddress source; // the per-source slot it holds (PROXIED for a proxied stream); guarded by BridgeService.this
        private boolean holdsSlot; // guarded by BridgeService.this
        /** When its last query arrived: a full bridge evicts the session that has been quiet longest. */
        private volatile long lastQuery = System.nanoTime();
        private double tokens = RATE_BURST;
        private long refilledAt = System.nanoTime();

        private Session(Connection connection) {
            this.connection = connection;
        }

        /**
         * Takes one MSG_DHT_QUERY read from the connection: refuses it at once when a bound is
         * reached, else answers it on {@code answers} (a forward waits up to the DHT query timeout).
         */
        public void handle(Message.DhtQuery q, ExecutorService answers) throws IOException {
            lastQuery = System.nanoTime();
            if (client == null) {
                InetSocketAddress from = streamAddressIsPeer ? connection.remoteAddress() : null;
                // a stream from loopback comes through a local proxy (Tor onion service) unless our
                // node is on loopback itself (a one-host network, where loopback is everyone's own address)
                boolean proxied = from == null || (from.getAddress().isLoopbackAddress() && !bridge.boundToLoopback());
                String refusal = takeSlot(this, proxied ? PROXIED : DhtBridge.sourceKey(from.getAddress()));
                if (refusal != null) {
                    busy(q, refusal);
                    return;
                }
                client = bridge.newClient(proxied ? null : from.getAddress());
            }
            if (!takeToken()) {
                busy(q, "more than " + RATE_PER_SECOND + " queries per second");
                return;
            }
            if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
                inFlight.decrementAndGet();
                busy(q, "more than " + MAX_IN_FLIGHT + " queries in flight");
                return;
            }
            DhtBridge.Client c = client;
            try {
                answers.submit(() -> {
                    try {
                        answer(c, q);
                    } finally {
                        inFlight.decrementAndGet();
                    }
                });
            } catch (RuntimeException e) {
                inFlight.decrementAndGet();
                throw e;
            }
        }

        private boolean takeToken() {
            long now = System.nanoTime();
            tokens = Math.min(RATE_BURST, tokens + (now - refilledAt) / 1e9 * RATE_PER_SECOND);
            refilledAt = now;
            if (tokens < 1) return false;
            tokens -= 1;
            return true;
        }

        private void busy(Message.DhtQuery q, String why) throws IOException {
            refused.incrementAndGet();
            connection.send(new Message.Error(q.requestId(), Message.Error.BUSY, why));
        }

        private void answer(DhtBridge.Client c, Message.DhtQuery q) {
            Message reply;
            try {
                DhtBridge.Outcome outcome = q.node() == null ? bridge.local(c, q.krpc()) : bridge.forward(c, q.node(), q.krpc());
                reply = switch (outcome) {
                    case DhtBridge.Outcome.Answer a -> new Message.DhtResponse(q.requestId(), a.krpc());
                    case DhtBridge.Outcome.Refused r -> new Message.Error(q.requestId(), Message.Error.REFUSED, clip(r.why()));
                    case DhtBridge.Outcome.BadQuery b -> new Message.Error(q.requestId(), Message.Error.BAD_MESSAGE, clip(b.why()));
                    case DhtBridge.Outcome.NoAnswer n -> new Message.Error(q.requestId(), Message.Error.NOT_FOUND, clip(n.why()));
                    case DhtBridge.Outcome.Busy b -> new Message.Error(q.requestId(), Message.Error.BUSY, clip(b.why()));
                };
            } catch (InterruptedException e) {
                return; // the connection is closing
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "bridged query from " + connection.peer() + " failed: " + e, e);
                reply = new Message.Error(q.requestId(), Message.Error.INTERNAL, "internal error");
            }
            if (reply instanceof Message.DhtResponse) answered.incrementAndGet();
            else refused.incrementAndGet();
            try {
                connection.send(reply);
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "bridge answer to {0} not sent: {1}", connection.peer(), e.getMessage());
            }
        }

        @Override
        public void close() {
            releaseSlot(this);
            client = null;
        }
    }

    /**
     * Gives the session a client slot under {@code key} (a source, or PROXIED), evicting the
     * session quiet longest when a cap is reached: of the same source (or of the proxied
     * streams) when that group is at its cap, else of the group holding the most slots. Returns
     * why none could be had, or null.
     */
    private String takeSlot(Session s, java.net.InetAddress key) {
        Session victim = null;
        synchronized (this) {
            int inGroup = key == PROXIED ? proxiedClients : clientsPerSource.getOrDefault(key, 0);
            int groupCap = key == PROXIED ? MAX_PROXIED_CLIENTS : MAX_CLIENTS_PER_SOURCE;
            if (inGroup >= groupCap) victim = quietest(key);
            else if (holding.size() >= MAX_CLIENTS) victim = quietest(largestGroup());
            if (victim != null) releaseLocked(victim);
            if (holding.size() >= MAX_CLIENTS || (key == PROXIED ? proxiedClients : clientsPerSource.getOrDefault(key, 0)) >= groupCap)
                return "the bridge serves " + (holding.size() >= MAX_CLIENTS ? MAX_CLIENTS + " connections" : groupCap + " connections "
                        + (key == PROXIED ? "through local proxies" : "from this address")) + " already";
            s.source = key;
            s.holdsSlot = true;
            holding.add(s);
            if (key == PROXIED) proxiedClients++;
            else clientsPerSource.merge(key, 1, Integer::sum);
        }
        if (victim != null) {
            evicted.incrementAndGet();
            LOG.log(Level.DEBUG, "evicting bridge client {0} (quiet longest) for {1}", victim.connection.peer(), s.connection.peer());
            victim.connection.close();
        }
        return null;
    }

    private static java.net.InetAddress proxiedMarker() {
        try {
            return java.net.InetAddress.getByAddress("proxied", new byte[4]); // compared by identity only
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private java.net.InetAddress largestGroup() {
        java.net.InetAddress best = null;
        int most = -1;
        if (proxiedClients > 0) {
            best = PROXIED;
            most = proxiedClients;
        }
        for (var e : clientsPerSource.entrySet()) {
            if (e.getValue() > most) {
                most = e.getValue();
                best = e.getKey();
            }
        }
        return best;
    }

    /** The session of group {@code key} whose last query is oldest; called holding this. */
    private Session quietest(java.net.InetAddress key) {
        Session q = null;
        for (Session h : holding) {
            if (h.source != key && (key == PROXIED || h.source == PROXIED || !h.source.equals(key))) continue;
            if (q == null || h.lastQuery - q.lastQuery < 0) q = h;
        }
        return q;
    }

    private synchronized void releaseSlot(Session s) {
        releaseLocked(s);
    }

    private void releaseLocked(Session s) {
        if (!s.holdsSlot) return;
        s.holdsSlot = false;
        holding.remove(s);
        if (s.source == PROXIED) proxiedClients--;
        else clientsPerSource.computeIfPresent(s.source, (k, n) -> n <= 1 ? null : n - 1);
    }

    /** Connections from the source of {@code address} that hold a client slot: for tests. */
    synchronized int clientsFrom(java.net.InetAddress address) {
        return clientsPerSource.getOrDefault(DhtBridge.sourceKey(address), 0);
    }

    /** Connections through a local proxy that hold a client slot: for tests. */
    synchronized int proxiedClients() {
        return proxiedClients;
    }

    private static String clip(String text) {
        byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (b.length <= Message.MAX_ERROR_TEXT_LENGTH) return text;
        return text.substring(0, Math.min(text.length(), Message.MAX_ERROR_TEXT_LENGTH / 4));
    }
}
