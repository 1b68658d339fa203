package io.megatorrent.transport.sam;

import io.megatorrent.transport.PeerAddress;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A SAM STREAM session: our I2P destination, alive as long as its control connection is open.
 * Opens streams to other destinations ({@link #connect}) and, once {@link #startAccepting} is
 * called, hands every stream peers open to us to a {@link SamAcceptHandler}.
 */
public final class SamSession implements Closeable {
    private static final System.Logger LOG = System.getLogger(SamSession.class.getName());

    /**
     * Zero-hop tunnels, one each way: what an i2pd router with no network needs to build a
     * session at all (tests on loopback). Gives NO anonymity: never use on the real network.
     */
    public static final Map<String, String> ZERO_HOP_OPTIONS = ordered(
            "inbound.length", "0", "outbound.length", "0", "inbound.quantity", "1", "outbound.quantity", "1");
    /**
     * Lease-set type 1 for a session that accepts streams: with the default type, i2pd 2.45.1
     * answers STREAM CONNECT to it from the same router with CANT_REACH_PEER.
     */
    public static final Map<String, String> LEASE_SET_TYPE_1 = ordered("i2cp.leaseSetType", "1");
    /** Time to open a connection, say HELLO and get STREAM ACCEPT's status, for each accept. */
    static final Duration ACCEPT_SETUP_TIMEOUT = Duration.ofSeconds(30);
    /** Pause after a failed accept before trying again, so a broken bridge is not hammered. */
    static final Duration ACCEPT_RETRY_DELAY = Duration.ofSeconds(1);
    /** Time to answer NAMING LOOKUP NAME=ME on the control connection. */
    static final Duration LOOKUP_ME_TIMEOUT = Duration.ofSeconds(10);

    private final SamBridge bridge;
    private final String nickname;
    private final SamConnection control;
    private final String destination;
    /**
     * One request at a time on the control connection. A ReentrantLock, not synchronized: the
     * holder blocks on socket I/O, which must not pin a virtual thread's carrier (JDK 21).
     */
    private final ReentrantLock controlLock = new ReentrantLock();
    /** Guards {@link #acceptLoop}. */
    private final ReentrantLock acceptLock = new ReentrantLock();
    private volatile boolean closed;
    private Thread acceptLoop;
    private volatile SamConnection pendingAccept;

    SamSession(SamBridge bridge, String nickname, SamConnection control, String destination) {
        this.bridge = bridge;
        this.nickname = nickname;
        this.control = control;
        this.destination = destination;
    }

    /** Joins two maps of options (later wins), keeping order. */
    @SafeVarargs
    public static Map<String, String> options(Map<String, String>... parts) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Map<String, String> p : parts) m.putAll(p);
        return Collections.unmodifiableMap(m);
    }

    private static Map<String, String> ordered(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return Collections.unmodifiableMap(m);
    }

    public String nickname() {
        return nickname;
    }

    /** Our public destination, I2P base64. */
    public String destination() {
        return destination;
    }

    /** Our "xxxx.b32.i2p" name. */
    public String b32Address() {
        try {
            return I2pDestination.b32Of(destination);
        } catch (SamException e) {
            throw new IllegalStateException("session destination was checked at creation", e);
        }
    }

    /** NAMING LOOKUP NAME=ME on the session's own connection: the destination the bridge holds for us. */
    public String lookupMe() throws IOException {
        controlLock.lock();
        try {
            ensureOpen();
            return SamBridge.lookup(control, "ME", System.nanoTime() + LOOKUP_ME_TIMEOUT.toNanos());
        } finally {
            controlLock.unlock();
        }
    }

    /**
     * STREAM CONNECT to a base64 destination, or to a .i2p / .b32.i2p name (looked up with
     * NAMING LOOKUP first, by the router: never by DNS). Returns the blocking stream channel.
     */
    public SocketChannel connect(String destinationOrName, Duration timeout) throws IOException {
        ensureOpen();
        long deadline = System.nanoTime() + timeout.toNanos();
        String target;
        if (I2pDestination.isName(destinationOrName)) {
            target = bridge.lookup(destinationOrName, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        } else {
            target = I2pDestination.requirePublic(destinationOrName);
        }
        SamConnection c = SamConnection.open(bridge.address(), deadline);
        boolean ok = false;
        try {
            String line = SamConnection.command("STREAM CONNECT", ordered("ID", nickname, "DESTINATION", target, "SILENT", "false"));
            String what = "STREAM CONNECT to " + SamReply.abbreviate(destinationOrName);
            c.request(what, line, deadline).expectOk(what, "STREAM", "STATUS");
            ok = true;
            return c.channel();
        } finally {
            if (!ok) c.close();
        }
    }

    /**
     * Starts the accept loop on a virtual thread: one STREAM ACCEPT pending at a time (SAM 3.1
     * allows no more), each accepted stream handed to {@code handler} on a virtual thread of its
     * own. Runs until {@link #close()}.
     */
    public void startAccepting(SamAcceptHandler handler) {
        acceptLock.lock();
        try {
            ensureOpenUnchecked();
            if (acceptLoop != null) throw new IllegalStateException("session " + nickname + " is already accepting");
            acceptLoop = Thread.ofVirtual().name("sam-accept-" + nickname).start(() -> acceptLoop(handler));
        } finally {
            acceptLock.unlock();
        }
    }

    private void acceptLoop(SamAcceptHandler handler) {
        while (!closed) {
            SamConnection c = null;
            try {
                c = SamConnection.open(bridge.address(), System.nanoTime() + ACCEPT_SETUP_TIMEOUT.toNanos());
                pendingAccept = c;
                if (closed) break;
                String line = SamConnection.command("STREAM ACCEPT", ordered("ID", nickname, "SILENT", "false"));
                c.request("STREAM ACCEPT", line, System.nanoTime() + ACCEPT_SETUP_TIMEOUT.toNanos())
                        .expectOk("STREAM ACCEPT", "STREAM", "STATUS");
                PeerAddress peer = parseAcceptedPeer(c.readLine(0, "a pending STREAM ACCEPT"));
                pendingAccept = null;
                SocketChannel channel = c.channel();
                c = null;
                Thread.ofVirtual().name("sam-stream-" + nickname).start(() -> {
                    try {
                        handler.accepted(channel, peer);
                    } catch (Exception e) {
                        LOG.log(System.Logger.Level.WARNING, "SAM accept handler failed for a stream from {0}: {1}",
                                SamReply.abbreviate(peer.host()), e.toString());
                        try {
                            channel.close();
                        } catch (IOException ignored) {
                            // closing is all we can do
                        }
                    }
                });
            } catch (IOException e) {
                if (closed) break;
                if (e instanceof SamException se && "INVALID_ID".equals(se.result())) {
                    LOG.log(System.Logger.Level.WARNING, "SAM session {0} is gone, accept loop stops: {1}", nickname, e.getMessage());
                    break;
                }
                LOG.log(System.Logger.Level.WARNING, "SAM accept on session {0} failed, retrying: {1}", nickname, e.getMessage());
                try {
                    Thread.sleep(ACCEPT_RETRY_DELAY);
                } catch (InterruptedException ie) {
                    break;
                }
            } finally {
                pendingAccept = null;
                if (c != null) {
                    try {
                        c.close();
                    } catch (IOException ignored) {
                        // the loop goes on or ends regardless
                    }
                }
            }
        }
    }

    /**
     * The line the bridge sends when a peer connects: its base64 destination, then (SAM 3.2+)
     * optional KEY=VALUE pairs such as FROM_PORT/TO_PORT, which we ignore. A STREAM STATUS line
     * in its place is a failure report.
     */
    static PeerAddress parseAcceptedPeer(String line) throws SamException {
        if (line.startsWith("STREAM STATUS")) {
            SamReply r = SamReply.parse(line);
            throw SamException.result("STREAM ACCEPT", r.require("RESULT"), r.get("MESSAGE"));
        }
        int sp = line.indexOf(' ');
        String dest = sp < 0 ? line : line.substring(0, sp);
        if (sp >= 0) SamReply.parse("X Y" + line.substring(sp)); // the rest must be well-formed pairs
        return new PeerAddress(I2pDestination.requirePublic(dest), 0);
    }

    private void ensureOpen() throws IOException {
        if (closed) throw new IOException("SAM session " + nickname + " is closed");
    }

    private void ensureOpenUnchecked() {
        if (closed) throw new IllegalStateException("SAM session " + nickname + " is closed");
    }

    /** Ends the session (closing the control connection destroys it on the bridge) and the accept loop. */
    @Override
    public void close() throws IOException {
        closed = true;
        SamConnection pending = pendingAccept;
        if (pending != null) pending.close();
        Thread loop;
        acceptLock.lock();
        try {
            loop = acceptLoop;
        } finally {
            acceptLock.unlock();
        }
        control.close();
        if (loop != null) {
            loop.interrupt();
            try {
                loop.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
