package io.megatorrent.node;

import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Listener;
import io.megatorrent.transport.Message;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * Serves blobs to peers over authenticated connections: the {@link Listener.Handler} of a
 * node. It greets with MSG_HELLO, then answers each MSG_REQUEST with MSG_DATA or MSG_ERROR
 * (code 2 for a blob it does not hold), several at once on one connection, each on its own
 * virtual thread; answers go out in whatever order they are ready, matched by request id.
 */
public final class BlobServer implements Listener.Handler {
    private static final System.Logger LOG = System.getLogger(BlobServer.class.getName());

    /**
     * Requests of one connection being answered at once. Each holds a blob (1 MiB) in memory;
     * past it the connection's reader waits, so a peer cannot make us hold more.
     */
    public static final int MAX_REQUESTS_IN_PROGRESS = 16;
    /**
     * Blobs held in memory for answers across all connections. A peer that stops reading keeps
     * its answers (and their memory) stuck in send; this caps what all such peers together can
     * pin (64 MiB) while the per-connection bound keeps one peer from taking every slot.
     */
    public static final int MAX_BLOBS_IN_MEMORY = 64;

    /** Where blobs come from, by short id (PROTOCOL_FINAL.md 6.9). */
    @FunctionalInterface
    public interface Source {
        /** The blob, or null when it is not held. */
        byte[] read(byte[] shortId) throws IOException;
    }

    private final Source source;
    private final IntSupplier listenPort;
    private final BridgeService bridge;
    private final Semaphore memory = new Semaphore(MAX_BLOBS_IN_MEMORY);

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

    @Override
    public void handle(Connection connection) throws IOException, InterruptedException {
        connectionsServed.incrementAndGet();
        connection.send(new Message.Hello(Message.PROTOCOL_VERSION, listenPort.getAsInt(), List.of()));
        Semaphore slots = new Semaphore(MAX_REQUESTS_IN_PROGRESS);
        try (BridgeService.Session dht = bridge == null ? null : bridge.open(connection);
             ExecutorService answers = Executors.newVirtualThreadPerTaskExecutor()) {
            while (true) {
                Message m;
                try {
                    m = connection.receive();
                } catch (IOException e) {
                    LOG.log(Level.DEBUG, "connection from {0} ended: {1}", connection.peer(), e.getMessage());
                    return;
                }
                if (m == null) return;
                switch (m) {
                    case Message.Request r -> {
                        slots.acquire();
                        answers.submit(() -> {
                            try {
                                answer(connection, r);
                            } finally {
                                slots.release();
                            }
                        });
                    }
                    case Message.Hello h -> {
                        if (h.version() != Message.PROTOCOL_VERSION) {
                            connection.send(new Message.Error(0, Message.Error.UNSUPPORTED_VERSION,
                                    "this node speaks protocol " + Message.PROTOCOL_VERSION + ", not " + h.version()));
                            return;
                        }
                    }
                    case Message.Error e when e.requestId() == 0 -> {
                        LOG.log(Level.DEBUG, "{0} is closing: {1} {2}", connection.peer(), e.code(), e.text());
                        return;
                    }
                    case Message.FindPeers q -> refuse(connection, q);
                    case Message.Publish q -> refuse(connection, q);
                    case Message.DhtQuery q -> {
                        if (dht == null) refuse(connection, q);
                        else dht.handle(q, answers);
                    }
                    default -> {
                        // answers to requests we never sent, gossip and announcements: nothing to answer
                    }
                }
            }
        } finally {
            connection.close(); // answers were all sent or failed: the executor waited for them
        }
    }

    private void refuse(Connection connection, Message request) throws IOException {
        requestsRefused.incrementAndGet();
        connection.send(new Message.Error(request.requestId(), Message.Error.REFUSED, "not served by this node"));
    }

    private void answer(Connection connection, Message.Request r) {
        try {
            memory.acquire();
        } catch (InterruptedException e) {
            return; // shutting down
        }
        try {
            byte[] blob;
            try {
                blob = source.read(r.blobId());
            } catch (IOException e) {
                LOG.log(Level.WARNING, "reading blob " + BlobKeys.shortHex(r.blobId()) + " failed: " + e.getMessage());
                blob = null;
            }
            if (blob == null) {
                requestsRefused.incrementAndGet();
                connection.send(new Message.Error(r.requestId(), Message.Error.NOT_FOUND, "blob " + BlobKeys.shortHex(r.blobId()) + " is not held here"));
                return;
            }
            connection.send(new Message.Data(r.requestId(), blob));
            blobsServed.incrementAndGet();
            bytesServed.addAndGet(blob.length);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "answer to {0} not sent: {1}", connection.peer(), e.getMessage());
        } finally {
            memory.release();
        }
    }
}
