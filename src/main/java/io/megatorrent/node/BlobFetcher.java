package io.megatorrent.node;

import io.megatorrent.content.CorruptBlobException;
import io.megatorrent.crypto.X25519;
import io.megatorrent.ledger.Ledger;
import io.megatorrent.ledger.LedgerLink;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Dialer;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.PeerTarget;
import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Downloads blobs from one peer over one authenticated connection, with up to
 * {@link #MAX_IN_FLIGHT} requests outstanding on it at once: callers on many virtual threads
 * each send a MSG_REQUEST and wait; one reader thread hands every MSG_DATA or MSG_ERROR to the
 * caller whose request id it carries. Nothing a peer sends is stored unless it hashes to the
 * full blob id the caller asked for.
 */
public final class BlobFetcher implements Closeable {
    private static final System.Logger LOG = System.getLogger(BlobFetcher.class.getName());

    /** Requests outstanding on one connection; each answer is a 1 MiB blob held until stored. */
    public static final int MAX_IN_FLIGHT = 16;
    /** How long one request may wait for its answer before the peer is given up for that blob. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    /** A peer answered MSG_ERROR (code 2: it does not hold the blob). */
    public static final class RefusedException extends IOException {
        private static final long serialVersionUID = 1L;
        private final int code;

        RefusedException(int code, String message) {
            super(message);
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    private final Connection connection;
    private final ConcurrentHashMap<Integer, CompletableFuture<Message>> pending = new ConcurrentHashMap<>();
    private final Semaphore window = new Semaphore(MAX_IN_FLIGHT);
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Thread reader;
    private volatile IOException failure;
    private volatile int peerListenPort = -1;
    private final CompletableFuture<Void> ended = new CompletableFuture<>();

    /** Counters, for reports and tests. */
    public final AtomicInteger maxInFlight = new AtomicInteger();
    public final AtomicLong blobsReceived = new AtomicLong();
    public final AtomicLong bytesReceived = new AtomicLong();

    /**
     * What a fetcher tells its owner of the peer's unsolicited messages (MSG_HELLO with its
     * channels, MSG_ANNOUNCE, MSG_PEERS with id 0) and where it gets the channels of its own
     * MSG_HELLO. Called on the fetcher's reader thread: must not block.
     */
    public interface Gossip {
        Gossip NONE = new Gossip() {};

        default List<Message.ChannelSeq> channels() {
            return List.of();
        }

        default void heard(BlobFetcher from, Message message) {}
    }

    private final Gossip gossip;
    private final int ourListenPort;
    /** Countersigns what this connection received (PROTOCOL_FINAL.md 8.4); null: no ledger. */
    private final LedgerLink ledger;

    private BlobFetcher(Connection connection, int ourListenPort, Gossip gossip, Ledger ledger) throws IOException {
        this.connection = connection;
        this.gossip = gossip;
        this.ourListenPort = ourListenPort;
        this.ledger = ledger == null ? null : new LedgerLink(ledger, connection);
        try {
            connection.send(new Message.Hello(Message.PROTOCOL_VERSION, ourListenPort, gossip.channels()));
            if (this.ledger != null) this.ledger.introduce();
        } catch (IOException e) {
            if (this.ledger != null) this.ledger.close();
            connection.close();
            throw e;
        }
        this.reader = Thread.ofVirtual().name("fetch-read " + connection.peer()).start(this::readLoop);
    }

    /** Sends MSG_HELLO with our current channels (gossip, and a keep-alive). */
    public void sendHello() throws IOException {
        connection.send(new Message.Hello(Message.PROTOCOL_VERSION, ourListenPort, gossip.channels()));
    }

    /** Sends an unsolicited message (MSG_ANNOUNCE, MSG_PEERS with id 0). */
    public void send(Message unsolicited) throws IOException {
        connection.send(unsolicited);
    }

    /** Dials {@code peer} and runs the Noise handshake (XX, or IK when the target carries the peer's key). */
    public static BlobFetcher connect(Dialer dialer, PeerTarget peer, X25519.KeyPair localStatic, int ourListenPort,
            Connection.Timeouts timeouts) throws IOException {
        return over(Connection.connect(dialer, peer, localStatic, timeouts), ourListenPort);
    }

    static BlobFetcher connect(Dialer dialer, PeerTarget peer, X25519.KeyPair localStatic, int ourListenPort, Gossip gossip, Ledger ledger)
            throws IOException {
        return new BlobFetcher(Connection.connect(dialer, peer, localStatic, Connection.Timeouts.DEFAULT), ourListenPort, gossip, ledger);
    }

    public static BlobFetcher connect(Dialer dialer, PeerAddress peer, X25519.KeyPair localStatic, int ourListenPort) throws IOException {
        return connect(dialer, new PeerTarget(null, peer), localStatic, ourListenPort, Connection.Timeouts.DEFAULT);
    }

    /** Uses a connection already made (we are the initiator); the fetcher owns it from now on. */
    public static BlobFetcher over(Connection connection, int ourListenPort) throws IOException {
        return new BlobFetcher(connection, ourListenPort, Gossip.NONE, null);
    }

    /** As {@link #over(Connection, int)}, countersigning the peer's proposals in {@code ledger} (null: none). */
    public static BlobFetcher over(Connection connection, int ourListenPort, Ledger ledger) throws IOException {
        return new BlobFetcher(connection, ourListenPort, Gossip.NONE, ledger);
    }

    /** The ledger side of this connection, or null. */
    public LedgerLink ledgerLink() {
        return ledger;
    }

    public String peer() {
        return connection.peer();
    }

    /** The peer's IP address and port, or null for a stream that has none (SAM). */
    public java.net.InetSocketAddress remoteAddress() {
        return connection.remoteAddress();
    }

    /** The listen port the peer announced in its MSG_HELLO, or -1 before it arrived. */
    public int peerListenPort() {
        return peerListenPort;
    }

    /** The peer's authenticated Noise static key. */
    public byte[] remoteStatic() {
        return connection.remoteStatic();
    }

    /**
     * Runs {@code action} once the reader has stopped (at once if it has): the owner drops the
     * fetcher then, so a dead connection's buffers are not kept.
     */
    void whenEnded(Runnable action) {
        ended.thenRun(action);
    }

    public boolean isOpen() {
        return failure == null && connection.isOpen();
    }

    /**
     * Fetches blob {@code blobId} and stores it in {@code into} only if its bytes hash to that id.
     *
     * @throws CorruptBlobException the peer sent other bytes (nothing is stored)
     * @throws RefusedException the peer does not hold it (or refused)
     * @throws IOException the connection failed or the answer did not come in time
     */
    public void fetchInto(String blobId, LocalBlobs into) throws IOException, InterruptedException {
        byte[] blob = request(BlobKeys.shortId(blobId));
        try {
            into.putVerified(blobId, blob);
        } catch (CorruptBlobException e) {
            throw new CorruptBlobException(blobId, null, "peer " + peer() + " sent a bad blob for " + blobId + ": " + e.getMessage());
        }
    }

    /**
     * Sends one MSG_REQUEST and waits for its answer: the bytes the peer sent as MSG_DATA,
     * NOT yet verified (the short id does not allow it: see {@link #fetchInto}).
     */
    public byte[] request(byte[] shortId) throws IOException, InterruptedException {
        Message m = exchange(id -> new Message.Request(id, shortId), "blob " + BlobKeys.shortHex(shortId));
        return switch (m) {
            case Message.Data d -> {
                blobsReceived.incrementAndGet();
                bytesReceived.addAndGet(d.blob().length);
                yield d.blob();
            }
            case Message.Error e -> throw new RefusedException(e.code(), "peer " + peer() + " answered error " + e.code() + ": " + e.text());
            default -> throw new IOException("peer " + peer() + " answered a request with " + m.getClass().getSimpleName());
        };
    }

    /**
     * Asks the peer for its newest signed pointer of a channel (MSG_GET_POINTER); the answer is
     * NOT verified here. Empty when the peer holds none (MSG_ERROR code 2).
     */
    public java.util.Optional<Message.Pointer> pointer(byte[] channelKey) throws IOException, InterruptedException {
        Message m = exchange(id -> new Message.GetPointer(id, channelKey), "the pointer of a channel");
        return switch (m) {
            case Message.Pointer p -> java.util.Optional.of(p);
            case Message.Error e when e.code() == Message.Error.NOT_FOUND -> java.util.Optional.empty();
            case Message.Error e -> throw new RefusedException(e.code(), "peer " + peer() + " answered error " + e.code() + ": " + e.text());
            default -> throw new IOException("peer " + peer() + " answered MSG_GET_POINTER with " + m.getClass().getSimpleName());
        };
    }

    /**
     * Hands a signed item to a gateway (MSG_PUBLISH) and waits for its verdict.
     *
     * @throws RefusedException the gateway refused it (MSG_ERROR), with its reason
     */
    public void publish(byte[] publicKey, long seq, byte[] salt, byte[] signature, byte[] value) throws IOException, InterruptedException {
        Message m = exchange(id -> new Message.Publish(id, publicKey, seq, salt, signature, value), "a publish");
        switch (m) {
            case Message.Ok o -> { }
            case Message.Error e -> throw new RefusedException(e.code(), "gateway " + peer() + " refused the item: " + e.text());
            default -> throw new IOException("gateway " + peer() + " answered MSG_PUBLISH with " + m.getClass().getSimpleName());
        }
    }

    /** Asks the peer who holds {@code target} (MSG_FIND_PEERS, peer exchange). */
    public List<Message.PeerEntry> findPeers(byte[] target) throws IOException, InterruptedException {
        Message m = exchange(id -> new Message.FindPeers(id, target), "peers");
        return switch (m) {
            case Message.Peers p -> p.peers();
            case Message.Error e -> throw new RefusedException(e.code(), "peer " + peer() + " answered error " + e.code() + ": " + e.text());
            default -> throw new IOException("peer " + peer() + " answered MSG_FIND_PEERS with " + m.getClass().getSimpleName());
        };
    }

    /** Sends one request within the window and waits for the message that answers its id. */
    private Message exchange(java.util.function.IntFunction<Message> request, String what) throws IOException, InterruptedException {
        window.acquire();
        int id = 0;
        try {
            int now = inFlight.incrementAndGet();
            maxInFlight.accumulateAndGet(now, Math::max);
            CompletableFuture<Message> answer = new CompletableFuture<>();
            do id = connection.nextRequestId(); while (pending.putIfAbsent(id, answer) != null);
            IOException failed = failure;
            if (failed != null) throw new IOException("connection to " + peer() + " failed: " + failed.getMessage(), failed);
            connection.send(request.apply(id));
            try {
                return answer.get(REQUEST_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                throw new SocketTimeoutException("peer " + peer() + " did not answer a request for " + what
                        + " within " + REQUEST_TIMEOUT.toSeconds() + " s");
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                throw cause instanceof IOException io ? new IOException(io.getMessage(), io) : new IOException(cause);
            }
        } finally {
            if (id != 0) pending.remove(id);
            inFlight.decrementAndGet();
            window.release();
        }
    }

    private void readLoop() {
        IOException reason = null;
        try {
            while (reason == null) {
                Message m = connection.receive();
                reason = m == null ? new IOException("peer " + peer() + " closed the connection") : dispatch(m);
            }
        } catch (IOException e) {
            reason = e;
        }
        failure = reason;
        connection.close();
        if (ledger != null) ledger.close(); // no more proofs to push on a dead connection
        for (CompletableFuture<Message> f : pending.values()) f.completeExceptionally(reason);
        ended.complete(null);
        if (!closing) LOG.log(Level.DEBUG, "fetcher for {0} stopped: {1}", peer(), reason.getMessage());
    }

    /** Handles one message from the peer; returns why to stop reading, or null to go on. */
    private IOException dispatch(Message m) throws IOException {
        if (ledger != null ? ledger.handle(m) : LedgerLink.refuseWithoutLedger(connection, m)) return null;
        switch (m) {
            case Message.Hello h -> {
                if (h.version() != Message.PROTOCOL_VERSION) {
                    connection.send(new Message.Error(0, Message.Error.UNSUPPORTED_VERSION, "this node speaks " + Message.PROTOCOL_VERSION));
                    return new IOException("peer " + peer() + " speaks protocol " + h.version());
                }
                peerListenPort = h.listenPort();
                gossip.heard(this, h);
            }
            case Message.Error e when e.requestId() == 0 -> {
                return new IOException("peer " + peer() + " is closing: error " + e.code() + ": " + e.text());
            }
            case Message.Data d -> complete(d);
            case Message.Error e -> complete(e);
            case Message.Pointer p -> complete(p);
            case Message.Ok o -> complete(o);
            case Message.Peers p when p.requestId() != 0 -> complete(p);
            case Message.Peers p -> gossip.heard(this, p);
            case Message.Announce a -> gossip.heard(this, a);
            default -> {
                // requests to us go to our listener's connections, not to a fetcher's: ignored
            }
        }
        return null;
    }

    private void complete(Message answer) {
        CompletableFuture<Message> f = pending.get(answer.requestId());
        // An answer to no outstanding request is late (we gave up on it): drop it.
        if (f == null) return;
        if (ledger != null && answer instanceof Message.Data d) ledger.received(d.blob().length);
        f.complete(answer);
    }

    private volatile boolean closing;

    @Override
    public void close() {
        closing = true;
        if (ledger != null) ledger.close();
        connection.close();
        try {
            reader.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
