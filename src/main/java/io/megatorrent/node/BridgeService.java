package io.megatorrent.node;

import io.megatorrent.dht.DhtBridge;
import io.megatorrent.dht.DhtNode;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Message;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
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
     * one host cannot take every client slot; the queries of more are answered busy. Streams
     * relayed by a local proxy (no client address) are not counted per source.
     */
    public static final int MAX_CLIENTS_PER_SOURCE = 8;

    private final DhtBridge bridge;
    private final boolean streamAddressIsPeer;
    private final Semaphore clients = new Semaphore(MAX_CLIENTS);
    private final java.util.Map<java.net.InetAddress, Integer> clientsPerSource = new java.util.HashMap<>();

    /** Counters, for reports and tests. */
    public final AtomicLong answered = new AtomicLong();
    public final AtomicLong refused = new AtomicLong();

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
        private DhtBridge.Client client; // made at the first query, when a client slot is taken
        private java.net.InetAddress source; // the per-source slot it holds, if any
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
            if (client == null) {
                InetSocketAddress from = streamAddressIsPeer ? connection.remoteAddress() : null;
                java.net.InetAddress key = from == null ? null : DhtBridge.sourceKey(from.getAddress());
                if (key != null && !takeSourceSlot(key)) {
                    busy(q, "the bridge serves " + MAX_CLIENTS_PER_SOURCE + " connections from this address already");
                    return;
                }
                if (!clients.tryAcquire()) {
                    if (key != null) releaseSourceSlot(key);
                    busy(q, "the bridge serves " + MAX_CLIENTS + " connections already");
                    return;
                }
                source = key;
                client = bridge.newClient(from == null ? null : from.getAddress());
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
            if (client != null) {
                clients.release();
                if (source != null) releaseSourceSlot(source);
            }
            client = null;
            source = null;
        }
    }

    private boolean takeSourceSlot(java.net.InetAddress key) {
        synchronized (clientsPerSource) {
            int n = clientsPerSource.getOrDefault(key, 0);
            if (n >= MAX_CLIENTS_PER_SOURCE) return false;
            clientsPerSource.put(key, n + 1);
            return true;
        }
    }

    private void releaseSourceSlot(java.net.InetAddress key) {
        synchronized (clientsPerSource) {
            clientsPerSource.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
        }
    }

    /** Connections from the source of {@code address} that hold a client slot: for tests. */
    int clientsFrom(java.net.InetAddress address) {
        synchronized (clientsPerSource) {
            return clientsPerSource.getOrDefault(DhtBridge.sourceKey(address), 0);
        }
    }

    private static String clip(String text) {
        byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (b.length <= Message.MAX_ERROR_TEXT_LENGTH) return text;
        return text.substring(0, Math.min(text.length(), Message.MAX_ERROR_TEXT_LENGTH / 4));
    }
}
