package io.megatorrent.cli;

import io.megatorrent.crypto.MlKem768;
import io.megatorrent.crypto.X25519;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Framing;
import io.megatorrent.transport.HandshakePolicy;
import io.megatorrent.transport.Listener;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.Noise;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.PeerTarget;
import io.megatorrent.transport.TcpDialer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * MB/s through a Noise connection over loopback (1 MiB MSG_DATA messages, as a blob transfer
 * sends them), and in the same run raw loopback TCP moving the same bytes in the same chunks:
 * the ceiling; and the cipher alone sealing and opening the same bytes on one thread, the other
 * ceiling (on a loaded or 2-core machine the transport is cipher-bound). Also handshakes per
 * second, one at a time over loopback, hybrid (XXhfs: X25519 + ML-KEM-768) beside classic XX in
 * the same run, with the bytes each puts on the wire; and the CPU time both ends of each
 * handshake take on one thread, without sockets, hybrid beside classic.
 */
final class TransportBench {
    private static final int CHUNK = 1 << 20;

    private TransportBench() {}

    static int run(String[] argv, PrintStream out, PrintStream err, BenchFigures figures) throws Exception {
        Args args = Args.parse(argv, List.of(
                Args.Option.value("mib", "N", "MiB to send through each channel (default 1024)"),
                Args.Option.value("handshakes", "N", "handshakes of each kind to time (default 200)")));
        args.noPositional();
        long mib = args.longValue("mib", 1024, 1, 1 << 20);
        long handshakes = args.longValue("handshakes", 200, 0, 1_000_000);
        long total = mib * CHUNK;
        out.println("megatorrent bench transport (Java " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors()
                + " cores, loopback, " + mib + " MiB in 1 MiB messages)");
        byte[] chunk = new byte[CHUNK];
        new Random(1).nextBytes(chunk);

        noise(chunk, Math.min(total, 64L * CHUNK)); // warm-up: let the JIT compile the cipher and framing
        raw(chunk, Math.min(total, 64L * CHUNK));
        double rawMbs = raw(chunk, total);
        double cipherMbs = cipher(total);
        double noiseMbs = noise(chunk, total);
        out.printf("raw TCP loopback (ceiling)              %8.1f MB/s%n", rawMbs);
        out.printf("ChaCha20-Poly1305 seal+open, 1 thread   %8.1f MB/s  (cipher ceiling, no I/O)%n", cipherMbs);
        out.printf("Noise XX ChaChaPoly BLAKE2b, framed     %8.1f MB/s  (%.0f%% of raw TCP, %.0f%% of the cipher)%n",
                noiseMbs, 100 * noiseMbs / rawMbs, 100 * noiseMbs / cipherMbs);
        figures.put("transport.raw_tcp", rawMbs, "MB/s");
        figures.put("transport.cipher", cipherMbs, "MB/s");
        figures.put("transport.noise", noiseMbs, "MB/s");
        if (handshakes > 0) {
            out.println("ML-KEM-768: " + MlKem768.provider());
            handshakes(Math.min(handshakes, 20)); // warm-up of both kinds
            double[] rates = handshakes(handshakes);
            double classic = rates[0];
            double hybrid = rates[1];
            figures.put("transport.handshakes", classic, "handshakes/s");
            figures.put("transport.handshakes_hybrid", hybrid, "handshakes/s");
            out.printf("XX handshakes over loopback, serial   %8.0f /s  (%d bytes on the wire)%n", classic, wireBytes(Connection.XX));
            out.printf("XXhfs handshakes over loopback, serial%8.0f /s  (%d bytes on the wire; %.2fx the time of classic XX)%n",
                    hybrid, wireBytes(Connection.XX_HFS), classic / hybrid);
            long rounds = Math.max(handshakes, 50);
            compute(Connection.XX, Connection.XX_HFS, rounds); // warm-up
            for (Noise.Protocol[] pair : new Noise.Protocol[][] {{Connection.XX, Connection.XX_HFS}, {Connection.IK, Connection.IK_HFS}}) {
                double[] us = compute(pair[0], pair[1], rounds);
                out.printf("%-5s CPU, both ends, 1 thread    %8.0f us  %-5s %8.0f us  (%.2fx; %d vs %d bytes on the wire)%n",
                        pair[0].pattern(), us[0], pair[1].pattern(), us[1], us[1] / us[0], wireBytes(pair[0]), wireBytes(pair[1]));
            }
        }
        return ExitCodes.OK;
    }

    /** Seals and opens the same bytes in full frames on one thread: what the cipher alone allows. */
    private static double cipher(long total) throws Exception {
        byte[] key = new byte[32];
        int n = Framing.MAX_FRAME_PLAINTEXT;
        byte[] plain = new byte[n];
        byte[] sealed = new byte[n + Noise.TAG_LENGTH];
        Noise.CipherState send = new Noise.CipherState(key, 0);
        Noise.CipherState receive = new Noise.CipherState(key, 0);
        long start = System.nanoTime();
        for (long done = 0; done < total; done += n) {
            send.encryptWithAd(null, plain, 0, n, sealed, 0);
            receive.decryptWithAd(null, sealed, 0, sealed.length, plain, 0);
        }
        return total / ((System.nanoTime() - start) / 1e9) / 1e6;
    }

    private static InetSocketAddress loopback() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    /**
     * Sends {@code total} bytes as MSG_DATA answering the receiver's MSG_REQUESTs (the session
     * rules of 4.5 allow no unrequested data); the receiver keeps 16 requests outstanding, as
     * a downloader does, and answers the sender's final MSG_FIND_PEERS with MSG_OK.
     */
    private static double noise(byte[] chunk, long total) throws Exception {
        X25519.KeyPair server = X25519.generate();
        X25519.KeyPair client = X25519.generate();
        Connection.Timeouts timeouts = new Connection.Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(60));
        long count = (total + chunk.length - 1) / chunk.length;
        int window = 16;
        Message.Hello hello = new Message.Hello(Message.PROTOCOL_VERSION, 0, java.util.List.of());
        byte[] blobId = new byte[Message.ID_LENGTH];
        try (Listener l = Listener.open(loopback(), server, timeouts, c -> {
            c.send(hello);
            if (!(c.receive() instanceof Message.Hello)) throw new IOException("expected MSG_HELLO");
            long asked = 0;
            while (asked < Math.min(window, count)) c.send(new Message.Request((int) ++asked, blobId));
            for (long got = 0; got < count; got++) {
                if (!(c.receive() instanceof Message.Data)) throw new IOException("expected MSG_DATA");
                if (asked < count) c.send(new Message.Request((int) ++asked, blobId));
            }
            if (!(c.receive() instanceof Message.FindPeers f)) throw new IOException("expected MSG_FIND_PEERS");
            c.send(new Message.Ok(f.requestId()));
            c.receive();
        })) {
            InetSocketAddress a = l.localAddress();
            try (Connection c = Connection.connect(new TcpDialer(), new PeerTarget(null,
                    new PeerAddress(a.getAddress().getHostAddress(), a.getPort())), client, timeouts)) {
                c.send(hello);
                if (!(c.receive() instanceof Message.Hello)) throw new IOException("expected MSG_HELLO");
                long start = System.nanoTime();
                for (long sent = 0; sent < count; sent++) {
                    if (!(c.receive() instanceof Message.Request r)) throw new IOException("expected MSG_REQUEST");
                    c.send(new Message.Data(r.requestId(), chunk));
                }
                c.send(new Message.FindPeers(c.nextRequestId(), blobId));
                if (!(c.receive() instanceof Message.Ok)) throw new IOException("receiver did not confirm");
                return total / ((System.nanoTime() - start) / 1e9) / 1e6;
            }
        }
    }

    /** The same bytes through a plain loopback socket pair, read into a 1 MiB buffer. */
    private static double raw(byte[] chunk, long total) throws Exception {
        try (ServerSocketChannel ss = ServerSocketChannel.open().bind(loopback())) {
            CompletableFuture<Void> reader = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try (SocketChannel s = ss.accept()) {
                    ByteBuffer buf = ByteBuffer.allocate(CHUNK);
                    long got = 0;
                    while (got < total) {
                        buf.clear();
                        int n = s.read(buf);
                        if (n < 0) throw new IOException("stream ended early");
                        got += n;
                    }
                    s.write(ByteBuffer.wrap(new byte[] {1}));
                    reader.complete(null);
                } catch (Throwable e) {
                    reader.completeExceptionally(e);
                }
            });
            try (SocketChannel c = SocketChannel.open(ss.getLocalAddress())) {
                c.socket().setTcpNoDelay(true);
                long start = System.nanoTime();
                ByteBuffer buf = ByteBuffer.wrap(chunk);
                for (long sent = 0; sent < total; sent += chunk.length) {
                    buf.clear();
                    while (buf.hasRemaining()) c.write(buf);
                }
                if (c.read(ByteBuffer.allocate(1)) != 1) throw new IOException("receiver did not confirm");
                reader.get(60, TimeUnit.SECONDS);
                return total / ((System.nanoTime() - start) / 1e9) / 1e6;
            }
        }
    }

    /**
     * Classic XX and hybrid XXhfs handshakes per second over loopback, one at a time, to one
     * listener that accepts both; the two kinds alternate in batches of 10 so that load from
     * other processes weighs on both alike.
     */
    private static double[] handshakes(long count) throws Exception {
        X25519.KeyPair server = X25519.generate();
        X25519.KeyPair client = X25519.generate();
        Connection.Timeouts timeouts = new Connection.Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(10));
        HandshakePolicy[] initiators = {
            HandshakePolicy.classicOnly(new HandshakePolicy.KnownHybridPeers()),
            new HandshakePolicy(true, false, new HandshakePolicy.KnownHybridPeers()),
        };
        long[] nanos = new long[2];
        long[] done = new long[2];
        try (Listener l = Listener.open(loopback(), server, timeouts, c -> c.receive())) {
            InetSocketAddress a = l.localAddress();
            PeerTarget t = new PeerTarget(null, new PeerAddress(a.getAddress().getHostAddress(), a.getPort()));
            while (done[0] < count) {
                for (int k = 0; k < 2; k++) {
                    long batch = Math.min(10, count - done[k]);
                    long start = System.nanoTime();
                    for (long i = 0; i < batch; i++) {
                        try (Connection c = Connection.connect(new TcpDialer(), t, client, timeouts, initiators[k])) {
                            if (c.handshakeProtocol().contains("hfs") != (k == 1)) throw new IOException("ran " + c.handshakeProtocol());
                        }
                    }
                    nanos[k] += System.nanoTime() - start;
                    done[k] += batch;
                }
            }
        }
        return new double[] {done[0] / (nanos[0] / 1e9), done[1] / (nanos[1] / 1e9)};
    }

    /**
     * Microseconds of CPU for both ends of one handshake of {@code classic} and of {@code hybrid},
     * computed on this thread without sockets: the handshakes' own cost. CPU time (of the process:
     * java.base has no per-thread clock, and this thread is the only busy one) rather than wall
     * time, so load from other processes does not count; the two alternate in batches so that
     * what noise remains weighs on both alike.
     */
    private static double[] compute(Noise.Protocol classic, Noise.Protocol hybrid, long rounds) throws Exception {
        X25519.KeyPair is = X25519.generate();
        X25519.KeyPair rs = X25519.generate();
        long[] nanos = new long[2];
        Noise.Protocol[] protocols = {classic, hybrid};
        for (long done = 0; done < rounds; done += BATCH) {
            for (int k = 0; k < 2; k++) {
                Noise.Protocol p = protocols[k];
                byte[] remote = p.pattern().classic() == Noise.Pattern.IK ? rs.publicKey() : null;
                long start = cpuNanos();
                for (int r = 0; r < BATCH; r++) {
                    Noise.HandshakeState init = new Noise.HandshakeState(p, true, Connection.PROLOGUE, is, null, remote);
                    Noise.HandshakeState resp = new Noise.HandshakeState(p, false, Connection.PROLOGUE, rs, null, null);
                    for (int i = 0; i < p.pattern().length(); i++) {
                        Noise.HandshakeState w = i % 2 == 0 ? init : resp;
                        (i % 2 == 0 ? resp : init).readMessage(w.writeMessage(new byte[0]));
                    }
                    init.split();
                    resp.split();
                }
                nanos[k] += cpuNanos() - start;
            }
        }
        long n = (rounds + BATCH - 1) / BATCH * BATCH;
        return new double[] {nanos[0] / 1e3 / n, nanos[1] / 1e3 / n};
    }

    private static final int BATCH = 25;

    private static long cpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().orElseThrow(() -> new IllegalStateException("no CPU clock")).toNanos();
    }

    /** Bytes a v6 handshake of {@code protocol} puts on the wire: every frame with its length, the pattern byte. */
    private static int wireBytes(Noise.Protocol protocol) {
        int total = 1;
        for (int i = 0; i < protocol.pattern().length(); i++) total += Framing.FRAME_LENGTH_PREFIX + protocol.pattern().emptyPayloadLength(i);
        return total;
    }
}
