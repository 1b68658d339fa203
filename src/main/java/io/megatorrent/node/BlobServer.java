package io.megatorrent.node;

import io.megatorrent.ledger.Ledger;
import io.megatorrent.ledger.LedgerLink;
import io.megatorrent.ledger.UploadScheduler;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Listener;
import io.megatorrent.transport.Message;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * Serves blobs to peers over authenticated connections: the {@link Listener.Handler} of a
 * node. It greets with MSG_HELLO, then answers each MSG_REQUEST with MSG_DATA or MSG_ERROR
 * (code 2 for a blob it does not hold). Each connection has one writer that takes its
 * requests in order and reads a blob only when it is about to send it, or while it sends the
 * one before (within {@link #MAX_READS_AHEAD} over all connections), so a connection holds at
 * most two blobs in memory, and a peer that stops reading stalls only its own connection
 * (until the idle watchdog closes it), never another peer's answers.
 */
public final class BlobServer implements Listener.Handler {
    private static final System.Logger LOG = System.getLogger(BlobServer.class.getName());

    /**
     * Requests of one connection queued for its writer (a few bytes each). Past it the
     * connection's reader waits, so a peer cannot make us queue more.
     */
    public static final int MAX_REQUESTS_QUEUED = 16;
    /**
     * Blob reads from the store at once across all connections: bounds disk work and the
     * memory of reads in progress. A permit is held only while reading, never while a blob
     * waits to be sent, so a slow peer cannot hold one.
     */
    public static final int MAX_CONCURRENT_READS = 16;

    /** Where blobs come from, by short id (PROTOCOL_FINAL.md 6.9). */
    @FunctionalInterface
    public interface Source {
        /** The blob, or null when it is not held. */
        byte[] read(byte[] shortId) throws IOException;

        /**
         * The blob in {@code into} (exactly {@link io.megatorrent.content.Blob#BLOB_SIZE} bytes),
         * or false when it is not held ({@code into} is then not to be used). A store reads
         * straight into it, so serving allocates no 1 MiB array per answer.
         */
        default boolean readInto(byte[] shortId, byte[] into) throws IOException {
            byte[] blob = read(shortId);
            if (blob == null || blob.length != into.length) return false;
            System.arraycopy(blob, 0, into, 0, into.length);
            return true;
        }
    }

    /**
     * Blob buffers kept for the next answers once sent: reused instead of one 1 MiB array
     * allocated (and collected) per answer, and never more than this many kept idle.
     */
    static final int SPARE_BUFFERS = 32;
    private final java.util.concurrent.ArrayBlockingQueue<byte[]> spareBuffers = new java.util.concurrent.ArrayBlockingQueue<>(SPARE_BUFFERS);

    /**
     * What a node adds to plain blob serving: the channels its MSG_HELLO carries, answers to
     * MSG_FIND_PEERS, MSG_PUBLISH and MSG_GET_POINTER (null: refuse with code 5), and what it
     * hears unsolicited (MSG_HELLO, MSG_ANNOUNCE, MSG_PEERS with id 0). {@link #answer} runs on
     * a virtual thread of its own and may block (a gateway's DHT put); {@link #heard} runs on the
     * connection's reader and must not.
     */
    public interface Services {
        Services NONE = new Services() {};

        default List<Message.ChannelSeq> channels() {
            return List.of();
        }

        default Message answer(Connection from, Message request) throws IOException, InterruptedException {
            return null;
        }

        default void heard(Connection from, Message message) {}
    }

    /** Requests answered by {@link Services#answer} at once on one connection; more wait in the reader. */
    public static final int MAX_SERVICE_ANSWERS_PER_CONNECTION = 4;

    private volatile Services services = Services.NONE;
    /** Connections being served now, so a changed sequence reaches every peer (gossip). */
    private final java.util.Set<Connection> open = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Source source;
    private final IntSupplier listenPort;
    private final BridgeService bridge;
    private final Semaphore reads = new Semaphore(MAX_CONCURRENT_READS);
    /** The ledger (PROTOCOL_FINAL.md 8) and the upload slots ranked by it; null: no ledger (safe mode). */
    private volatile Ledger ledger;
    private volatile UploadScheduler scheduler;
    /** A connection idle this long after a transfer gets the proposal for what it was served. */
    static final long PROPOSE_WHEN_IDLE_MILLIS = 500;
    /** The end of a connection's request queue. */
    private static final Message.Request END = new Message.Request(1, new byte[BlobKeys.SHORT_ID_LENGTH]);

    /** Counters, for reports and tests. */
    public final AtomicLong blobsServed = new AtomicLong();
    public final AtomicLong bytesServed = new AtomicLong();
    public final AtomicLong requestsRefused = new AtomicLong();
    public final AtomicLong connectionsServed = new AtomicLong();

    /** {@code listenPort}: the port advertised in MSG_HELLO (0: not listening). */
    public BlobServer(Source source, IntSupplier listenPort) {
        this(source, listenPort, null);
    }

    /** {@code bridge}: answers MSG_DHT_QUERY (PROTOCOL_FINAL.md 7); null refuses them (code 5). */
    public BlobServer(Source source, IntSupplier listenPort, BridgeService bridge) {
        this.source = source;
        this.listenPort = listenPort;
        this.bridge = bridge;
    }

    /** Sets what this server answers beyond blobs (a node's gossip, PEX and gateway). */
    public void setServices(Services services) {
        this.services = services;
    }

    /** Sends MSG_HELLO with the current channels to every connection served now; returns how many got it. */
    public int broadcastHello() {
        int sent = 0;
        for (Connection c : open) {
            try {
                c.send(hello());
                sent++;
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "MSG_HELLO to {0} not sent: {1}", c.peer(), e.getMessage());
            }
        }
        return sent;
    }

    /** Connections served now. */
    public int openConnections() {
        return open.size();
    }

    private Message.Hello hello() {
        return new Message.Hello(Message.PROTOCOL_VERSION, listenPort.getAsInt(), services.channels());
    }

    /** Keeps a ledger: proposes blocks for what is served, and serves in the scheduler's order. Call before serving. */
    public void useLedger(Ledger ledger, UploadScheduler scheduler) {
        this.ledger = ledger;
        this.scheduler = scheduler;
    }

    @Override
    public void handle(Connection connection) throws IOException, InterruptedException {
        connectionsServed.incrementAndGet();
        open.add(connection);
        try {
            connection.send(hello());
            Ledger l = ledger;
            try (LedgerLink link = l == null ? null : new LedgerLink(l, connection)) {
                if (link != null) link.introduce();
                serve(connection, link);
            }
        } finally {
            open.remove(connection);
            connection.close();
        }
    }

    private void serve(Connection connection, LedgerLink link) throws IOException, InterruptedException {
        BlockingQueue<Message.Request> requests = new ArrayBlockingQueue<>(MAX_REQUESTS_QUEUED);
        try (BridgeService.Session dht = bridge == null ? null : bridge.open(connection);
             ExecutorService answers = Executors.newVirtualThreadPerTaskExecutor()) {
            answers.submit(() -> writer(connection, requests, link));
            try {
                readLoop(connection, requests, dht, answers, link);
            } finally {
                try {
                    requests.put(END); // the writer answers what is queued, then stops
                } catch (InterruptedException e) {
                    // closing (the listener interrupts us): the writer stops now, not after its queue
                    answers.shutdownNow();
                    Thread.currentThread().interrupt();
                }
            }
        } finally {
            connection.close(); // answers were all sent or failed: the executor waited for them
        }
    }

    private void readLoop(Connection connection, BlockingQueue<Message.Request> requests, BridgeService.Session dht, ExecutorService answers,
            LedgerLink link) throws IOException, InterruptedException {
        Semaphore serviceAnswers = new Semaphore(MAX_SERVICE_ANSWERS_PER_CONNECTION);
        while (true) {
            Message m;
            try {
                m = connection.receive();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "connection from {0} ended: {1}", connection.peer(), e.getMessage());
                return;
            }
            if (m == null) return;
            if (link != null ? link.handle(m) : LedgerLink.refuseWithoutLedger(connection, m)) continue;
            switch (m) {
                case Message.Request r -> requests.put(r);
                case Message.Hello h -> {
                    if (h.version() != Message.PROTOCOL_VERSION) {
                        connection.send(new Message.Error(0, Message.Error.UNSUPPORTED_VERSION,
                                "this node speaks protocol " + Message.PROTOCOL_VERSION + ", not " + h.version()));
                        return;
                    }
                    services.heard(connection, h);
                }
                case Message.Announce a -> services.heard(connection, a);
                case Message.Peers p when p.requestId() == 0 -> services.heard(connection, p);
                case Message.Error e when e.requestId() == 0 -> {
                    LOG.log(Level.DEBUG, "{0} is closing: {1} {2}", connection.peer(), e.code(), e.text());
                    return;
                }
                case Message.FindPeers q -> answerByServices(connection, q, serviceAnswers, answers);
                case Message.Publish q -> answerByServices(connection, q, serviceAnswers, answers);
                case Message.GetPointer q -> answerByServices(connection, q, serviceAnswers, answers);
                case Message.DhtQuery q -> {
                    if (dht == null) refuse(connection, q);
                    else dht.handle(q, answers);
                }
                default -> {
                    // answers to requests we never sent, gossip and announcements: nothing to answer
                }
            }
        }
    }

    /**
     * Answers the connection's requests one at a time, in order. After a failed send it keeps
     * taking requests (dropping them) so the reader never waits on a full queue for nothing.
     */
    private void writer(Connection connection, BlockingQueue<Message.Request> requests, LedgerLink link) {
        boolean failed = false;
        // An upload slot is kept from one request to the next while another is queued, and
        // handed back through the scheduler so this connection competes for it by rank.
        UploadScheduler.Slot slot = null;
        ReadAhead ahead = null;
        try {
            while (true) {
                Message.Request r;
                try {
                    if (slot != null) {
                        r = requests.poll();
                        if (r == null) {
                            slot.close();
                            slot = null;
                            continue;
                        }
                    } else {
                        r = link == null ? requests.take() : requests.poll(PROPOSE_WHEN_IDLE_MILLIS, TimeUnit.MILLISECONDS);
                        if (r == null) { // idle: the transfer ended or paused, so its figure is due
                            if (!failed) failed = !propose(connection, link);
                            r = requests.take();
                        }
                    }
                } catch (InterruptedException e) {
                    return; // shutting down
                }
                if (r == END) {
                    if (link != null && !failed && connection.isOpen()) propose(connection, link);
                    return;
                }
                if (failed || (link != null && link.peerIsFraud())) {
                    if (ahead != null) ahead.discard(); // its request is refused or dropped: nothing to send
                    ahead = null;
                }
                if (failed) { // drain the queue so the reader never waits on it; no slot for a dead connection
                    if (slot != null) slot.close();
                    slot = null;
                    continue;
                }
                if (link != null && link.peerIsFraud()) {
                    failed = !refuseFraud(connection, r);
                    continue;
                }
                UploadScheduler slots = scheduler;
                if (slots != null) {
                    try {
                        byte[] key = link == null ? null : link.peerKey();
                        slot = slot == null ? slots.acquire(key) : slots.acquireNext(slot, key);
                    } catch (InterruptedException e) {
                        return; // shutting down
                    }
                }
                ReadAhead mine = ahead != null && ahead.request() == r ? ahead : null;
                if (ahead != null && mine == null) ahead.discard(); // read for another request (the queue keeps its order: not expected)
                ahead = null;
                try {
                    byte[] blob = mine != null ? mine.take() : read(r);
                    if (mine != null && blob != null) blobsReadAhead.incrementAndGet();
                    // the next request's blob is read and verified while this one is encrypted and sent
                    Message.Request following = requests.peek();
                    if (following != null && following != END && blob != null) ahead = readAhead(following);
                    failed = !send(connection, r, blob, link);
                    // sent (sealed into frames) or failed: nothing refers to it now, the next answer may reuse it
                    if (blob != null) spareBuffers.offer(blob);
                } catch (InterruptedException e) {
                    return; // shutting down
                } finally {
                    if (mine != null) mine.discard();
                }
            }
        } finally {
            if (ahead != null) ahead.discard();
            if (slot != null) slot.close();
        }
    }

    /**
     * Blobs read ahead of their turn at once over all connections (each 1 MiB held until sent):
     * past it a writer reads inline as before, so this bounds the memory read-ahead adds.
     */
    static final int MAX_READS_AHEAD = 16;
    private final Semaphore readsAhead = new Semaphore(MAX_READS_AHEAD);
    /** Answers whose blob was read ahead (for tests and reports). */
    final AtomicLong blobsReadAhead = new AtomicLong();

    /** Read-ahead permits not held now: all of them once no connection is being answered (tests). */
    int readsAheadFree() {
        return readsAhead.availablePermits();
    }

    /** A blob being read before its request's turn, holding one of {@link #MAX_READS_AHEAD} until taken or discarded. */
    private final class ReadAhead {
        private final Message.Request request;
        private final java.util.concurrent.FutureTask<byte[]> blob;
        private boolean released;

        ReadAhead(Message.Request request) {
            this.request = request;
            this.blob = new java.util.concurrent.FutureTask<>(() -> read(request));
            Thread.ofVirtual().name("blob-read-ahead").start(blob);
        }

        Message.Request request() {
            return request;
        }

        byte[] take() throws InterruptedException {
            try {
                return blob.get();
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof InterruptedException ie) throw ie;
                LOG.log(Level.WARNING, "reading blob " + BlobKeys.shortHex(request.blobId()) + " failed", e.getCause());
                return null;
            }
        }

        void discard() {
            if (released) return;
            released = true;
            blob.cancel(false); // a read under way finishes on its own; its bytes are dropped
            readsAhead.release();
        }
    }

    /** A read ahead for {@code r}, or null when {@link #MAX_READS_AHEAD} are held already (the writer then reads it in turn). */
    private ReadAhead readAhead(Message.Request r) {
        return readsAhead.tryAcquire() ? new ReadAhead(r) : null;
    }

    private static boolean propose(Connection connection, LedgerLink link) {
        try {
            link.endOfTransfer();
            return true;
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "ledger proposal to {0} not sent: {1}", connection.peer(), e.getMessage());
            return false;
        }
    }

    /**
     * Answers a request through the node's services on a virtual thread of its own, at most
     * {@link #MAX_SERVICE_ANSWERS_PER_CONNECTION} at once per connection (the reader waits for a
     * slot, so a peer cannot pile them up).
     */
    private void answerByServices(Connection connection, Message request, Semaphore slots, ExecutorService answers) throws InterruptedException {
        slots.acquire();
        answers.submit(() -> {
            try {
                Message answer = services.answer(connection, request);
                if (answer == null) refuse(connection, request);
                else connection.send(answer);
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "answer to {0} not sent: {1}", connection.peer(), e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "answering " + request.getClass().getSimpleName() + " from " + connection.peer() + " failed", e);
                try {
                    connection.send(new Message.Error(request.requestId(), Message.Error.INTERNAL, "internal error"));
                } catch (IOException ignored) {
                    // the connection is gone either way
                }
            } finally {
                slots.release();
            }
        });
    }

    private void refuse(Connection connection, Message request) throws IOException {
        requestsRefused.incrementAndGet();
        connection.send(new Message.Error(request.requestId(), Message.Error.REFUSED, "not served by this node"));
    }

    /** Refuses a request of a peer whose ledger key double-signed; false when the connection failed. */
    private boolean refuseFraud(Connection connection, Message.Request r) {
        requestsRefused.incrementAndGet();
        try {
            connection.send(new Message.Error(r.requestId(), Message.Error.REFUSED, "your ledger key signed two blocks at one sequence number"));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The blob {@code r} asks for, read (and verified) within {@link #MAX_CONCURRENT_READS}; null when not held or unreadable. */
    private byte[] read(Message.Request r) throws InterruptedException {
        reads.acquire();
        try {
            byte[] buf = spareBuffers.poll();
            if (buf == null) buf = new byte[io.megatorrent.content.Blob.BLOB_SIZE];
            if (source.readInto(r.blobId(), buf)) return buf;
            spareBuffers.offer(buf);
            return null;
        } catch (IOException e) {
            LOG.log(Level.WARNING, "reading blob " + BlobKeys.shortHex(r.blobId()) + " failed: " + e.getMessage());
            return null;
        } finally {
            reads.release();
        }
    }

    /** Sends the answer to {@code r}: {@code blob}, or MSG_ERROR when it is null (the caller holds an upload slot, if slots are counted); false when the connection failed. */
    private boolean send(Connection connection, Message.Request r, byte[] blob, LedgerLink link) {
        try {
            if (blob == null) {
                requestsRefused.incrementAndGet();
                connection.send(new Message.Error(r.requestId(), Message.Error.NOT_FOUND, "blob " + BlobKeys.shortHex(r.blobId()) + " is not held here"));
                return true;
            }
            connection.send(new Message.Data(r.requestId(), blob));
            blobsServed.incrementAndGet();
            bytesServed.addAndGet(blob.length);
            if (link != null) link.served(blob.length);
            return true;
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "answer to {0} not sent: {1}", connection.peer(), e.getMessage());
            return false;
        }
    }
}
