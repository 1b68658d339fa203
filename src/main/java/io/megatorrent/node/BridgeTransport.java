package io.megatorrent.node;

import io.megatorrent.crypto.X25519;
import io.megatorrent.dht.DhtBridge;
import io.megatorrent.dht.DhtClient;
import io.megatorrent.dht.KrpcException;
import io.megatorrent.dht.KrpcMessage;
import io.megatorrent.dht.KrpcTransport;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Dialer;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.PeerTarget;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * DHT over TCP, client side (PROTOCOL_FINAL.md 7): a {@link KrpcTransport} that sends every
 * query as MSG_DHT_QUERY over one Noise connection to a bridge, many in flight, matched by
 * request id. {@link DhtClient#BRIDGE_NODE} is sent as node_kind 0 (the bridge's own node),
 * any other address as node_kind 4 or 6 (forwarded). The connection is made with any
 * {@link Dialer}: TCP, SOCKS5 (Tor) or SAM (I2P), so no UDP socket is ever opened.
 */
public final class BridgeTransport implements KrpcTransport, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(BridgeTransport.class.getName());

    /**
     * How long one query waits for the bridge's answer: the bridge's own 2 s wait for a forwarded
     * query, plus the round trip through a proxy (a Tor circuit adds about a second).
     */
    public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(6);

    private final Connection connection;
    private final Duration queryTimeout;
    private final Semaphore inFlight = new Semaphore(BridgeService.MAX_IN_FLIGHT);
    private final ConcurrentHashMap<Integer, CompletableFuture<Message>> pending = new ConcurrentHashMap<>();
    private final Thread reader;
    private volatile boolean closed;

    private BridgeTransport(Connection connection, Duration queryTimeout) {
        this.connection = connection;
        this.queryTimeout = queryTimeout;
        this.reader = Thread.ofVirtual().name("dht-bridge-reader").start(this::readLoop);
    }

    /** Connects to the bridge (IK when its static key is given) and greets it with MSG_HELLO. */
    public static BridgeTransport connect(Dialer dialer, PeerTarget bridge, X25519.KeyPair localStatic, Duration queryTimeout) throws IOException {
        Connection c = Connection.connect(dialer, bridge, localStatic, Connection.Timeouts.DEFAULT);
        try {
            c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, List.of()));
        } catch (IOException e) {
            c.close();
            throw e;
        }
        return new BridgeTransport(c, queryTimeout);
    }

    /** Tries each bridge in turn; the first that completes a handshake is used. */
    public static BridgeTransport connectAny(Dialer dialer, List<PeerTarget> bridges, X25519.KeyPair localStatic, Duration queryTimeout) throws IOException {
        IOException last = null;
        for (PeerTarget b : bridges) {
            try {
                return connect(dialer, b, localStatic, queryTimeout);
            } catch (IOException e) {
                LOG.log(Level.INFO, "bridge {0} unreachable: {1}", b, e.getMessage());
                last = e;
            }
        }
        throw last != null ? last : new IOException("no bridge given");
    }

    /** The bridge's authenticated Noise static key. */
    public byte[] bridgeKey() {
        return connection.remoteStatic();
    }

    @Override
    public KrpcMessage.Response query(InetSocketAddress to, KrpcMessage.Query query) throws KrpcException, IOException, InterruptedException {
        if (closed) throw new ClosedChannelException();
        InetSocketAddress node = to.equals(DhtClient.BRIDGE_NODE) ? null : to;
        inFlight.acquire();
        int id = 0;
        try {
            CompletableFuture<Message> answer = new CompletableFuture<>();
            do id = connection.nextRequestId(); while (pending.putIfAbsent(id, answer) != null);
            // the request id already matches answers to queries; t only has to be echoed
            byte[] tid = {(byte) (id >> 8), (byte) id};
            connection.send(new Message.DhtQuery(id, node, DhtBridge.encodeQuery(tid, query)));
            if (closed) answer.completeExceptionally(new ClosedChannelException()); // the reader may have ended before our put
            Message reply;
            try {
                reply = answer.get(queryTimeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                throw new SocketTimeoutException("the bridge did not answer " + query.method().wireName + " for " + describe(to) + " in time");
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            }
            return switch (reply) {
                case Message.DhtResponse r -> DhtBridge.parseAnswer(r.krpc(), tid, query.method());
                case Message.Error e when e.code() == Message.Error.NOT_FOUND ->
                        throw new SocketTimeoutException("no answer from " + describe(to) + " through the bridge: " + e.text());
                case Message.Error e -> throw new IOException("the bridge refused " + query.method().wireName + " for " + describe(to)
                        + " (code " + e.code() + "): " + e.text());
                default -> throw new IOException("unexpected answer " + reply.getClass().getSimpleName());
            };
        } finally {
            if (id != 0) pending.remove(id);
            inFlight.release();
        }
    }

    /**
     * Asks the bridge who holds {@code target} (MSG_FIND_PEERS, 4.5.1): how a node without an IP
     * address of its own finds holders that have none either (.onion and .i2p peers).
     */
    public List<Message.PeerEntry> findPeers(byte[] target) throws IOException, InterruptedException {
        if (closed) throw new ClosedChannelException();
        inFlight.acquire();
        int id = 0;
        try {
            CompletableFuture<Message> answer = new CompletableFuture<>();
            do id = connection.nextRequestId(); while (pending.putIfAbsent(id, answer) != null);
            connection.send(new Message.FindPeers(id, target));
            if (closed) answer.completeExceptionally(new ClosedChannelException());
            Message reply;
            try {
                reply = answer.get(queryTimeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                throw new SocketTimeoutException("the bridge did not answer MSG_FIND_PEERS in time");
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            }
            return switch (reply) {
                case Message.Peers p -> p.peers();
                case Message.Error e -> throw new IOException("the bridge refused MSG_FIND_PEERS (code " + e.code() + "): " + e.text());
                default -> throw new IOException("unexpected answer " + reply.getClass().getSimpleName());
            };
        } finally {
            if (id != 0) pending.remove(id);
            inFlight.release();
        }
    }

    /** Sends a message that needs no answer (MSG_ANNOUNCE, an unsolicited MSG_PEERS). */
    public void send(Message message) throws IOException {
        if (closed) throw new ClosedChannelException();
        connection.send(message);
    }

    private static String describe(InetSocketAddress to) {
        return to.equals(DhtClient.BRIDGE_NODE) ? "the bridge's node" : to.toString();
    }

    private void readLoop() {
        IOException end = null;
        try {
            while (true) {
                Message m = connection.receive();
                if (m == null) break;
                switch (m) {
                    case Message.DhtResponse r -> complete(r.requestId(), r);
                    case Message.Peers p when p.requestId() != 0 -> complete(p.requestId(), p);
                    case Message.Error e when e.requestId() != 0 -> complete(e.requestId(), e);
                    case Message.Error e -> {
                        end = new IOException("the bridge closed the connection (code " + e.code() + "): " + e.text());
                        return;
                    }
                    default -> {
                        // MSG_HELLO and anything else unasked: nothing to do
                    }
                }
            }
        } catch (IOException e) {
            end = e;
        } finally {
            closed = true;
            connection.close();
            IOException why = end != null ? end : new IOException("the bridge closed the connection");
            for (CompletableFuture<Message> f : pending.values()) f.completeExceptionally(why);
        }
    }

    private void complete(int requestId, Message m) {
        CompletableFuture<Message> f = pending.get(requestId);
        if (f != null) f.complete(m);
    }

    public boolean isOpen() {
        return !closed;
    }

    @Override
    public void close() {
        closed = true;
        connection.close();
        try {
            reader.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
