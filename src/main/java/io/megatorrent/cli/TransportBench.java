package io.megatorrent.cli;

import io.megatorrent.crypto.X25519;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Framing;
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
 * ceiling (on a loaded or 2-core machine the transport is cipher-bound). Also XX handshakes per
 * second, one at a time.
 */
final class TransportBench {
    private static final int CHUNK = 1 << 20;

    private TransportBench() {}

    static int run(String[] argv, PrintStream out, PrintStream err) throws Exception {
        Args args = Args.parse(argv, List.of(
                Args.Option.value("mib", "N", "MiB to send through each channel (default 1024)"),
                Args.Option.value("handshakes", "N", "XX handshakes to time (default 200)")));
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
        if (handshakes > 0) out.printf("XX handshakes over loopback, serial   %8.0f /s%n", handshakes(handshakes));
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
     * Sends {@code total} bytes as MSG_DATA, each answering one of the MSG_REQUESTs the receiver
     * sent at once (a MSG_DATA that answers nothing is refused, PROTOCOL_FINAL.md 4.7); the
     * receiver answers MSG_OK after the last byte.
     */
    private static double noise(byte[] chunk, long total) throws Exception {
        X25519.KeyPair server = X25519.generate();
        X25519.KeyPair client = X25519.generate();
        Connection.Timeouts timeouts = new Connection.Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(60));
        long chunks = (total + chunk.length - 1) / chunk.length;
        try (Listener l = Listener.open(loopback(), server, timeouts, c -> {
            for (int i = 1; i <= chunks; i++) c.send(new Message.Request(i, new byte[Message.ID_LENGTH]));
            long got = 0;
            while (got < total) {
                if (!(c.receive() instanceof Message.Data d)) throw new IOException("expected MSG_DATA");
                got += d.blob().length;
            }
            c.send(new Message.Ok(1));
            c.receive();
        })) {
            InetSocketAddress a = l.localAddress();
            try (Connection c = Connection.connect(new TcpDialer(), new PeerTarget(null,
                    new PeerAddress(a.getAddress().getHostAddress(), a.getPort())), client, timeouts)) {
                long start = System.nanoTime();
                for (long sent = 0; sent < total; sent += chunk.length) {
                    if (!(c.receive() instanceof Message.Request r)) throw new IOException("expected MSG_REQUEST");
                    c.send(new Message.Data(r.requestId(), chunk));
                }
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

    private static double handshakes(long count) throws Exception {
        X25519.KeyPair server = X25519.generate();
        X25519.KeyPair client = X25519.generate();
        Connection.Timeouts timeouts = new Connection.Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(10));
        try (Listener l = Listener.open(loopback(), server, timeouts, c -> c.receive())) {
            InetSocketAddress a = l.localAddress();
            PeerTarget t = new PeerTarget(null, new PeerAddress(a.getAddress().getHostAddress(), a.getPort()));
            for (int i = 0; i < 20; i++) Connection.connect(new TcpDialer(), t, client, timeouts).close();
            long start = System.nanoTime();
            for (long i = 0; i < count; i++) Connection.connect(new TcpDialer(), t, client, timeouts).close();
            return count / ((System.nanoTime() - start) / 1e9);
        }
    }
}
