package io.megatorrent.node;

import io.megatorrent.cli.Main;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.crypto.X25519;
import io.megatorrent.dht.DhtBridge;
import io.megatorrent.dht.KrpcMessage;
import io.megatorrent.dht.NodeId;
import io.megatorrent.testing.Peers;
import io.megatorrent.testing.TestNetwork;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Framing;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.Noise;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.PeerTarget;
import io.megatorrent.transport.TcpDialer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real {@code megatorrent dht node --bridge-port 0} in a child JVM with a fixed heap, started
 * as a user starts it, for attacks run against it from the test: its whole stderr goes to a
 * file (so an OutOfMemoryError anywhere in it is seen), its heap is read with jcmd, and
 * {@link #legitimateQuery} is the client that must keep being served during an attack.
 */
final class NodeUnderAttack implements AutoCloseable {
    static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    final Process process;
    final Path log;
    /** Where clients reach the node: loopback, or its address in a {@link TestNetwork}. */
    final InetAddress host;
    final int udpPort;
    final int bridgePort;
    final byte[] bridgeKey;

    private NodeUnderAttack(Process process, Path log, InetAddress host, JsonValue.JsonObject ready) throws Exception {
        this.process = process;
        this.host = host;
        this.log = log;
        this.udpPort = (int) ready.integer("port");
        this.bridgePort = (int) ready.integer("bridgePort");
        this.bridgeKey = Hex.decode(ready.string("bridgeKey"));
    }

    /** Starts the node with {@code -Xmx<heap>} on loopback; extra JVM options before the main class. */
    static NodeUnderAttack start(Path dir, String heap, List<String> jvmOptions, String... nodeArgs) throws Exception {
        return start(dir, heap, jvmOptions, null, "127.0.0.1", nodeArgs);
    }

    /**
     * Starts the node inside {@code network} (null: on this host's loopback), bound to
     * {@code bind} there (its address in the network, or 0.0.0.0 to take streams from loopback too).
     */
    static NodeUnderAttack start(Path dir, String heap, List<String> jvmOptions, TestNetwork network, String bind, String... nodeArgs)
            throws Exception {
        List<String> command = new ArrayList<>(List.of(Peers.javaExecutable(), "-Xmx" + heap));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "dht", "node", "--port", "0", "--bind", bind, "--bridge-port", "0", "-d", dir.resolve("data").toString(),
                "--seconds", "600"));
        command.addAll(List.of(nodeArgs));
        if (network != null) command = network.inside(command);
        InetAddress host = network != null ? network.nodeAddress() : InetAddress.getLoopbackAddress();
        Path log = dir.resolve("node.log");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectError(log.toFile()).start();
        CompletableFuture<String> first = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> { // a pipe read pins a virtual thread's carrier
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) if (line.startsWith("{")) first.complete(line);
                first.complete(null);
            } catch (IOException e) {
                first.complete(null);
            }
        });
        try {
            String line = first.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (line == null) throw new IOException("the node exited before its ready line: " + Files.readString(log));
            return new NodeUnderAttack(p, log, host, (JsonValue.JsonObject) Json.parse(line));
        } catch (Exception e) {
            p.destroyForcibly();
            throw e;
        }
    }

    InetSocketAddress bridgeAddress() {
        return new InetSocketAddress(host, bridgePort);
    }

    PeerTarget bridgeTarget() {
        return new PeerTarget(bridgeKey, new PeerAddress(host.getHostAddress(), bridgePort));
    }

    /** An authenticated bridge client whose stream comes from {@code from} (a host address of the test network); greeted already. */
    Connection clientFrom(InetAddress from, Duration timeout) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.bind(new InetSocketAddress(from, 0));
            ch.socket().connect(bridgeAddress(), (int) timeout.toMillis());
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        Connection c = Connection.initiate(ch, bridgeKey, X25519.generate(), new Connection.Timeouts(timeout, timeout), "node from " + from);
        Message hello = c.receive();
        if (!(hello instanceof Message.Hello)) throw new IOException("expected MSG_HELLO, got " + hello);
        c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, java.util.List.of())); // MSG_HELLO first (4.5)
        return c;
    }

    /** A bridged ping on an open client connection: the node's answer. */
    static Message ping(Connection c, int requestId) throws IOException {
        c.send(new Message.DhtQuery(requestId, null, DhtBridge.encodeQuery(new byte[] {7}, new KrpcMessage.Ping(NodeId.random()))));
        return c.receive();
    }

    boolean alive() {
        return process.isAlive();
    }

    String log() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /**
     * A legitimate bridge client: connects (IK, a fresh key), takes the greeting, sends a bridged
     * ping to the node's own DHT node and returns the answer (a MSG_DHT_RESPONSE when served).
     */
    Message legitimateQuery(Duration timeout) throws IOException {
        var timeouts = new Connection.Timeouts(timeout, timeout);
        try (Connection c = Connection.connect(new TcpDialer(), bridgeTarget(), X25519.generate(), timeouts)) {
            Message hello = c.receive();
            if (!(hello instanceof Message.Hello)) throw new IOException("expected MSG_HELLO, got " + hello);
            c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, java.util.List.of())); // MSG_HELLO first (4.5)
            c.send(new Message.DhtQuery(1, null, DhtBridge.encodeQuery(new byte[] {7}, new KrpcMessage.Ping(NodeId.random()))));
            return c.receive();
        }
    }

    /** Heap in use after a full GC, in bytes, as jcmd reports it. */
    long heapUsedAfterGc() throws IOException, InterruptedException {
        Path jcmd = Path.of(Peers.javaExecutable()).resolveSibling("jcmd");
        run(jcmd.toString(), Long.toString(process.pid()), "GC.run");
        String info = run(jcmd.toString(), Long.toString(process.pid()), "GC.heap_info");
        Matcher m = Pattern.compile("used (\\d+)K").matcher(info);
        if (!m.find()) throw new IOException("no heap figure in jcmd GC.heap_info: " + info);
        return Long.parseLong(m.group(1)) * 1024;
    }

    /** Resident set size of the node process, in bytes (Linux /proc). */
    long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
        throw new IOException("no VmRSS for pid " + process.pid());
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
        return new String(out, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
    }

    /**
     * An attacker's authenticated session over a raw stream: the XX handshake with a throwaway
     * static key (authentication costs nothing), then frames sealed by hand, so the attacker can
     * stop anywhere inside a message.
     */
    static final class RawSession implements AutoCloseable {
        final SocketChannel channel;
        final Noise.Transport transport;

        private RawSession(SocketChannel channel, Noise.Transport transport) {
            this.channel = channel;
            this.transport = transport;
        }

        static RawSession open(InetSocketAddress at, Duration timeout) throws Exception {
            SocketChannel ch = SocketChannel.open(at);
            try {
                ch.socket().setSoTimeout((int) timeout.toMillis());
                InputStream in = ch.socket().getInputStream();
                Noise.HandshakeState hs = new Noise.HandshakeState(Connection.XX, true, Connection.PROLOGUE, X25519.generate(), null, null);
                write(ch, Connection.firstHandshakeFrame(false, hs.writeMessage(new byte[0])));
                byte[] len = in.readNBytes(2);
                if (len.length < 2) throw new IOException("the node closed the stream during the handshake");
                hs.readMessage(in.readNBytes(((len[0] & 0xff) << 8) | (len[1] & 0xff)));
                write(ch, Framing.handshakeFrame(hs.writeMessage(new byte[0])));
                return new RawSession(ch, hs.split());
            } catch (Exception e) {
                ch.close();
                throw e;
            }
        }

        /**
         * The first frame of a message of {@code declaredLength} bytes whose first byte is
         * {@code type}, sealed: what makes a receiver decide on (and, unguarded, allocate) the
         * whole message.
         */
        byte[] firstFrameOf(byte type, int declaredLength) throws Exception {
            int plain = Math.min(Framing.MESSAGE_LENGTH_PREFIX + declaredLength, Framing.MAX_FRAME_PLAINTEXT);
            byte[] p = new byte[plain];
            ByteBuffer.wrap(p).putInt(declaredLength).put(type).putInt(1);
            byte[] out = new byte[Framing.FRAME_LENGTH_PREFIX + plain + Noise.TAG_LENGTH];
            int ct = transport.send().encryptWithAd(null, p, 0, p.length, out, Framing.FRAME_LENGTH_PREFIX);
            out[0] = (byte) (ct >>> 8);
            out[1] = (byte) ct;
            return out;
        }

        void write(byte[] bytes) throws IOException {
            write(channel, bytes);
        }

        /** Sends a whole message, sealed as a well-behaved peer would. */
        void send(Message message) throws IOException {
            write(new Framing.Sealer(transport.send()).seal(Message.encode(message)));
        }

        /** True when the node closed the stream (EOF or reset) within {@code within}, reading and dropping what it sent. */
        boolean closedByNode(Duration within) throws IOException {
            long deadline = System.nanoTime() + within.toNanos();
            InputStream in = channel.socket().getInputStream();
            byte[] sink = new byte[4096];
            while (System.nanoTime() < deadline) {
                channel.socket().setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                try {
                    if (in.read(sink) < 0) return true;
                } catch (java.net.SocketTimeoutException e) {
                    return false;
                } catch (IOException e) {
                    return true;
                }
            }
            return false;
        }

        private static void write(SocketChannel ch, byte[] bytes) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
