package io.megatorrent.transport;

import io.megatorrent.codec.Hex;
import io.megatorrent.crypto.CryptoException;
import io.megatorrent.crypto.HashFunction;
import io.megatorrent.crypto.X25519;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One authenticated, encrypted connection to a peer over any byte stream (TCP, a SOCKS5 tunnel,
 * an I2P stream). The handshake runs in the factory methods, under a deadline; afterwards
 * {@link #send} may be called from any thread and {@link #receive} from one reader thread.
 * A peer that breaks the protocol (garbage, a bad tag, an oversize length), stays silent past
 * the idle timeout, or stops reading what we send for that long is dropped: the connection
 * closes and the reason is logged.
 */
public final class Connection implements Closeable {
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());

    /** Mixed into every handshake: both sides must speak v6 of this protocol or the handshake fails. */
    public static final byte[] PROLOGUE = ("megatorrent/" + Message.PROTOCOL_VERSION).getBytes(StandardCharsets.US_ASCII);
    public static final Noise.Protocol XX = new Noise.Protocol(Noise.Pattern.XX, HashFunction.BLAKE2B);
    public static final Noise.Protocol IK = new Noise.Protocol(Noise.Pattern.IK, HashFunction.BLAKE2B);
    /** The hybrid handshakes (X25519 + ML-KEM-768, Noise HFS), which v6 initiators run by default. */
    public static final Noise.Protocol XX_HFS = Handshake.XX_HFS;
    public static final Noise.Protocol IK_HFS = Handshake.IK_HFS;
    /** First byte of the initiator's first frame: which handshake follows. */
    public static final byte PATTERN_XX = 0x01;
    public static final byte PATTERN_IK = 0x02;
    public static final byte PATTERN_XX_HFS = 0x03;
    public static final byte PATTERN_IK_HFS = 0x04;
    /**
     * Handshake messages carry empty payloads in v6, so every frame has a fixed length; the
     * longest is IKhfs's first (1 + 32 + 1184 + 16 + 48 + 16 bytes), read before the pattern
     * byte is known. Later frames are read with the exact bound of their pattern and position.
     */
    static final int MAX_HANDSHAKE_FRAME = 1 + 1296;
    private static final byte[] NOTHING = new byte[0];
    /** Write watchdogs running now: each must end when its connection closes. */
    private static final AtomicInteger RUNNING_WATCHDOGS = new AtomicInteger();

    /** How long a handshake may take in total, and how long a connection may stay silent (or leave our writes unread). */
    public record Timeouts(Duration handshake, Duration idle) {
        public static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(10), Duration.ofMinutes(5));
    }

    private final SocketChannel channel;
    private final ReceiveGate in;
    private final String peer;
    private final boolean initiator;
    private final byte[] handshakeHash;
    private final byte[] remoteStatic;
    private final String handshakeProtocol;
    private final Framing.Sealer sealer;
    private final Framing.Opener opener;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final AtomicInteger nextRequestId = new AtomicInteger();
    /** HELLO first, request ids matched to answers (4.5): checked on every message received. */
    private final SessionRules rules = new SessionRules();
    private final long idleNanos;
    /** When the current write last made progress (System.nanoTime), or 0 when not writing. */
    private volatile long writeProgress;
    private final Thread watchdog;
    private volatile boolean closed;
    /** When the last whole message arrived (System.nanoTime): a full listener evicts the connection heard from least recently. */
    private volatile long lastHeard = System.nanoTime();

    private Connection(SocketChannel channel, ReceiveGate in, String peer, boolean initiator, Noise.Transport transport, Duration idle) {
        this.idleNanos = idle.toNanos();
        this.channel = channel;
        this.in = in;
        this.peer = peer;
        this.initiator = initiator;
        this.handshakeHash = transport.handshakeHash();
        this.remoteStatic = transport.remoteStatic();
        this.handshakeProtocol = transport.protocolName();
        this.sealer = new Framing.Sealer(transport.send());
        this.opener = new Framing.Opener(transport.receive(), in);
        RUNNING_WATCHDOGS.incrementAndGet();
        this.watchdog = Thread.ofVirtual().name("transport-write-watchdog").start(this::watchWrites);
    }

    /**
     * The connection over a stream whose handshake just succeeded. Everything that can fail
     * happens before the constructor starts the watchdog, so a failure leaves no thread behind.
     */
    static Connection establish(SocketChannel channel, String peer, boolean initiator, Noise.Transport transport, Timeouts timeouts)
            throws IOException {
        channel.socket().setSoTimeout(millis(timeouts.idle()));
        // Unbuffered: the Opener reads ahead into its own buffer and decrypts frames in place.
        // The handshake read exactly its frames, so nothing the peer sent after them is lost.
        // The Opener's and Sealer's buffers (about 256 KiB) are allocated only now, once the
        // handshake has succeeded: an unauthenticated peer costs a few hundred bytes.
        ReceiveGate in = new ReceiveGate(channel.socket(), timeouts.idle());
        return new Connection(channel, in, peer, initiator, transport, timeouts.idle());
    }

    /** Write watchdogs running in this JVM (tests check that none outlives its connection). */
    static int runningWatchdogs() {
        return RUNNING_WATCHDOGS.get();
    }

    /**
     * Closes the connection when a write makes no progress for the idle timeout: a peer that
     * stops reading must not hold a sender forever (blocking channels have no write timeout).
     */
    private void watchWrites() {
        long period = Math.max(10_000_000L, Math.min(idleNanos / 4, 5_000_000_000L));
        try {
            while (!closed) {
                try {
                    Thread.sleep(Duration.ofNanos(period));
                } catch (InterruptedException e) {
                    return;
                }
                long since = writeProgress;
                if (since != 0 && System.nanoTime() - since > idleNanos && !closed) {
                    LOG.log(Level.DEBUG, "dropping {0}: it has not read what we sent for {1} ms", peer, idleNanos / 1_000_000);
                    close();
                }
            }
        } finally {
            RUNNING_WATCHDOGS.decrementAndGet();
        }
    }

    /** Dials {@code target} and runs IK if its static key is known, else XX (hybrid per the process's {@link HandshakePolicy}). Closes the stream on failure. */
    public static Connection connect(Dialer dialer, PeerTarget target, X25519.KeyPair localStatic, Timeouts timeouts) throws IOException {
        return connect(dialer, target, localStatic, timeouts, HandshakePolicy.processDefault());
    }

    /** Dials {@code target} and runs the handshake {@code policy} picks. Closes the stream on failure. */
    public static Connection connect(Dialer dialer, PeerTarget target, X25519.KeyPair localStatic, Timeouts timeouts, HandshakePolicy policy)
            throws IOException {
        SocketChannel channel = dialer.connect(target.address(), timeouts.handshake());
        return initiate(channel, target.staticKey(), localStatic, timeouts, target.address().toString(), policy);
    }

    /** {@link #initiate(SocketChannel, byte[], X25519.KeyPair, Timeouts, String, HandshakePolicy)} with the process's policy. */
    public static Connection initiate(SocketChannel channel, byte[] expectedRemoteStatic, X25519.KeyPair localStatic,
            Timeouts timeouts, String peerName) throws IOException {
        return initiate(channel, expectedRemoteStatic, localStatic, timeouts, peerName, HandshakePolicy.processDefault());
    }

    /**
     * Runs the initiator's handshake over a connected blocking stream: IK when
     * {@code expectedRemoteStatic} is given (the handshake fails unless the peer holds that key),
     * else XX; hybrid (IKhfs, XXhfs) first when {@code policy} runs it, classic only after the
     * responder's explicit refusal and only when the policy allows classic.
     */
    public static Connection initiate(SocketChannel channel, byte[] expectedRemoteStatic, X25519.KeyPair localStatic,
            Timeouts timeouts, String peerName, HandshakePolicy policy) throws IOException {
        boolean ik = expectedRemoteStatic != null;
        try {
            InputStream in = handshakeInput(channel, timeouts);
            Noise.Transport transport = Handshake.initiate(channel, in, expectedRemoteStatic, localStatic, policy, peerName);
            return establish(channel, peerName, true, transport, timeouts);
        } catch (CryptoException | IOException | RuntimeException e) {
            closeQuietly(channel);
            String reason = e instanceof SocketTimeoutException ? "handshake timed out" : e.getMessage();
            LOG.log(Level.DEBUG, "handshake with {0} failed: {1}", peerName, reason);
            if (e instanceof java.io.EOFException) throw new IOException("handshake with " + peerName + " failed: the peer closed the connection"
                    + (ik ? " (it may not hold the expected static key)" : ""), e);
            if (e instanceof CryptoException) throw new ProtocolException("handshake", -1, e.getMessage(), e);
            if (e instanceof IOException io) throw io;
            throw (RuntimeException) e;
        }
    }

    /** {@link #accept(SocketChannel, X25519.KeyPair, Timeouts, HandshakePolicy)} with the process's policy. */
    public static Connection accept(SocketChannel channel, X25519.KeyPair localStatic, Timeouts timeouts) throws IOException {
        return accept(channel, localStatic, timeouts, HandshakePolicy.processDefault());
    }

    /**
     * Runs the responder's handshake (as the initiator's first byte says) over an accepted stream;
     * an offer {@code policy} does not run gets the refusal frame, and one more offer may follow.
     */
    public static Connection accept(SocketChannel channel, X25519.KeyPair localStatic, Timeouts timeouts, HandshakePolicy policy) throws IOException {
        String peerName = describe(channel);
        try {
            InputStream in = handshakeInput(channel, timeouts);
            Noise.Transport transport = Handshake.respond(channel, in, localStatic, policy, peerName);
            return establish(channel, peerName, false, transport, timeouts);
        } catch (CryptoException | IOException | RuntimeException e) {
            closeQuietly(channel);
            String reason = e instanceof SocketTimeoutException ? "handshake timed out" : e.getMessage();
            LOG.log(Level.DEBUG, "dropping {0}: handshake failed: {1}", peerName, reason);
            if (e instanceof CryptoException) throw new ProtocolException("handshake", -1, e.getMessage(), e);
            if (e instanceof IOException io) throw io;
            throw (RuntimeException) e;
        }
    }

    /** The initiator's first frame: {@code uint16be length || pattern byte || first Noise message}. */
    public static byte[] firstHandshakeFrame(boolean ik, byte[] firstNoiseMessage) {
        byte[] first = new byte[1 + firstNoiseMessage.length];
        first[0] = ik ? PATTERN_IK : PATTERN_XX;
        System.arraycopy(firstNoiseMessage, 0, first, 1, firstNoiseMessage.length);
        return Framing.handshakeFrame(first);
    }

    /** The initiator's first frame for any v6 protocol: {@code uint16be length || pattern byte || first Noise message}. */
    public static byte[] firstHandshakeFrame(Noise.Protocol protocol, byte[] firstNoiseMessage) {
        return Framing.handshakeFrame(Handshake.offer(protocol, firstNoiseMessage));
    }

    /** Splits the initiator's first frame body (after the length) into pattern and Noise message; checks the pattern byte. */
    public static Noise.Protocol patternOf(byte[] firstFrameBody) throws ProtocolException {
        if (firstFrameBody.length < 1) throw new ProtocolException("pattern", 2, "empty first handshake frame");
        Noise.Protocol p = Handshake.protocolOf(firstFrameBody[0]);
        if (p == null) throw new ProtocolException("pattern", 2, String.format("unknown handshake pattern 0x%02x", firstFrameBody[0] & 0xFF));
        return p;
    }

    /** The prologue of the handshake that follows the refusal of {@code refusedOffer} (the refused first frame's body). */
    public static byte[] fallbackPrologue(byte[] refusedOffer) {
        return Handshake.fallbackPrologue(refusedOffer);
    }

    /** The handshake's reads: unbuffered (they take exactly the handshake frames), all under one deadline from now. */
    private static InputStream handshakeInput(SocketChannel channel, Timeouts timeouts) throws IOException {
        channel.configureBlocking(true);
        return new DeadlineInput(channel.socket(), System.nanoTime() + timeouts.handshake().toNanos());
    }

    /**
     * Reads that all end by one absolute deadline: each read may wait only for what is left of
     * it, so a peer that drips a byte now and then cannot stretch the handshake past it.
     */
    static final class DeadlineInput extends InputStream {
        private final java.net.Socket socket;
        private final InputStream in;
        private final long deadline;

        DeadlineInput(java.net.Socket socket, long deadlineNanos) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.deadline = deadlineNanos;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new SocketTimeoutException("handshake timed out");
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, (left + 999_999) / 1_000_000)));
            return in.read(b, off, len);
        }
    }

    private static int millis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis()));
    }

    /** The Noise handshake hash: identical on both ends, unique to this session (for channel binding). */
    public byte[] handshakeHash() {
        return handshakeHash.clone();
    }

    /** The Noise protocol name of the handshake that made this session, e.g. {@code Noise_XXhfs_25519+MLKEM768_ChaChaPoly_BLAKE2b}. */
    public String handshakeProtocol() {
        return handshakeProtocol;
    }

    /** The peer's authenticated X25519 static public key. */
    public byte[] remoteStatic() {
        return remoteStatic.clone();
    }

    public String remoteStaticHex() {
        return Hex.encode(remoteStatic);
    }

    public boolean isInitiator() {
        return initiator;
    }

    /** The IP address and port the stream comes from, or null when it has none (not a TCP stream, or closed). */
    public java.net.InetSocketAddress remoteAddress() {
        try {
            return channel.getRemoteAddress() instanceof java.net.InetSocketAddress a && !a.isUnresolved() ? a : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Where the peer is, for logs. */
    public String peer() {
        return peer;
    }

    /** A fresh non-zero request id for a request sent on this connection. */
    public int nextRequestId() {
        int id;
        do {
            id = nextRequestId.incrementAndGet();
        } while (id == 0);
        return id;
    }

    /** Sends one message; safe to call from several threads (messages are never interleaved). */
    public void send(Message message) throws IOException {
        // A MSG_DATA's blob is sealed where it lies rather than copied into an encoded message.
        byte[] head;
        byte[] body;
        if (message instanceof Message.Data d) {
            head = ByteBuffer.allocate(Message.HEADER_LENGTH).put(Message.DATA).putInt(d.requestId()).array();
            body = d.blob();
        } else {
            head = Message.encode(message);
            body = NOTHING;
        }
        if (message instanceof Message.Request r) in.requestSent(r.requestId()); // before it can be answered
        writeLock.lock();
        try {
            if (closed) throw new IOException("connection to " + peer + " is closed");
            rules.sending(message);
            sealer.write(head, body, (buf, off, len) -> {
                ByteBuffer b = ByteBuffer.wrap(buf, off, len);
                while (b.hasRemaining()) {
                    writeProgress = System.nanoTime();
                    channel.write(b);
                }
            });
        } catch (IOException e) {
            close();
            throw e;
        } finally {
            writeProgress = 0;
            writeLock.unlock();
        }
    }

    /**
     * The next message, or null when the peer closed the connection between messages. On any
     * error (protocol violation, idle timeout, I/O) the connection is closed and the error thrown.
     * Call from one thread at a time.
     */
    public Message receive() throws IOException {
        try {
            Message m = opener.readMessage(in);
            if (m == null) close();
            else {
                rules.received(m);
                if (m instanceof Message.Data || m instanceof Message.Error) in.answered(m.requestId());
            }
            lastHeard = System.nanoTime();
            return m;
        } catch (ProtocolException e) {
            LOG.log(Level.DEBUG, "dropping {0}: {1}", peer, e.getMessage());
            close();
            throw e;
        } catch (SocketTimeoutException e) {
            LOG.log(Level.DEBUG, "dropping {0}: idle timeout", peer);
            close();
            throw new SocketTimeoutException("connection to " + peer + " idle too long");
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    long lastHeardNanos() {
        return lastHeard;
    }

    public boolean isOpen() {
        return !closed && channel.isOpen();
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(channel);
        if (watchdog != null && Thread.currentThread() != watchdog) watchdog.interrupt();
    }

    /**
     * Blob-sized messages {@link #warmUp} moves: enough for the JIT to compile the frame and AEAD
     * path before the first download. Measured on the 2-core VM (1 GiB between two fresh nodes,
     * three alternate runs each): with 64 the transfer ran at 167-176 MB/s and the receiver used
     * 7.2-7.8 s of CPU, with 1 at 145-165 MB/s and 8.5-9.8 s; the warm-up took 0.56 s instead
     * of 0.15 s, on a background thread.
     */
    static final int WARM_UP_BLOBS = 64;

    /**
     * Runs both ends of one handshake (the process's policy: the hybrid one by default), an
     * exchange of MSG_HELLO, and {@link #WARM_UP_BLOBS} requests answered by blob-sized
     * messages over a loopback connection of its own, with throwaway keys. A fresh process
     * spends most of a second on its first real handshake (class loading, and ML-KEM, X25519 and
     * BLAKE2b in the interpreter) and its first blobs in code not compiled yet; a node that does
     * this on a background thread as it starts meets its first peer warm.
     *
     * @return how long it took
     */
    public static Duration warmUp() throws IOException {
        long started = System.nanoTime();
        java.util.concurrent.atomic.AtomicReference<Exception> responderFailure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread responder = null;
        try (java.nio.channels.ServerSocketChannel server = java.nio.channels.ServerSocketChannel.open()) {
            server.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 1);
            responder = Thread.ofVirtual().name("transport-warm-up").start(() -> {
                try (SocketChannel accepted = server.accept(); Connection c = accept(accepted, X25519.generate(), Timeouts.DEFAULT)) {
                    c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, java.util.List.of()));
                    c.receive(); // its MSG_HELLO
                    byte[] blob = new byte[Message.MAX_BLOB_LENGTH];
                    for (int k = 0; k < WARM_UP_BLOBS; k++) {
                        Message request = c.receive();
                        c.send(new Message.Data(request instanceof Message.Request r ? r.requestId() : 1, blob));
                    }
                } catch (IOException | RuntimeException e) {
                    responderFailure.set(e);
                }
            });
            SocketChannel channel = SocketChannel.open(server.getLocalAddress());
            try (Connection c = initiate(channel, null, X25519.generate(), Timeouts.DEFAULT, "warm-up")) {
                c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, java.util.List.of()));
                c.receive(); // its MSG_HELLO
                for (int k = 0; k < WARM_UP_BLOBS; k++) {
                    c.send(new Message.Request(1 + k, new byte[Message.ID_LENGTH]));
                    c.receive();
                }
            }
        } finally {
            // every socket of the warm-up is closed when it returns, even when interrupted: the
            // responder ends once its peer has gone
            if (responder != null) {
                boolean interrupted = false;
                while (true) {
                    try {
                        responder.join();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) Thread.currentThread().interrupt();
            }
        }
        if (responderFailure.get() != null) throw new IOException("the warm-up's responder failed: " + responderFailure.get().getMessage(), responderFailure.get());
        return Duration.ofNanos(System.nanoTime() - started);
    }

    static String describe(SocketChannel channel) {
        try {
            var a = channel.getRemoteAddress();
            return a == null ? "unconnected stream" : a.toString();
        } catch (IOException e) {
            return "closed stream";
        }
    }

    static void writeFully(SocketChannel channel, byte[] bytes) throws IOException {
        writeFully(channel, ByteBuffer.wrap(bytes));
    }

    static void writeFully(SocketChannel channel, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) channel.write(buf);
    }

    static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing is best effort; the channel is unusable either way
        }
    }
}
