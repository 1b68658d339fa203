package io.megatorrent.interop;

import io.megatorrent.codec.BValue;
import io.megatorrent.codec.BValue.BBytes;
import io.megatorrent.codec.BValue.BDict;
import io.megatorrent.codec.Bencode;
import io.megatorrent.codec.CodecException;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Asks one DHT node directly, with single KRPC queries (BEP 5 get_peers and find_node, BEP 44
 * get), what it stores and whom it knows: that shows which node accepted a put or an announce,
 * which a lookup through the whole network cannot. Queries carry {@code ro=1} (BEP 43) so
 * nodes that honour it leave the probe out of their routing tables.
 */
final class KrpcProbe implements AutoCloseable {
    static final Duration QUERY_TIMEOUT = Duration.ofSeconds(3);
    /** Largest datagram read; KRPC messages fit in one Ethernet frame. */
    static final int MAX_DATAGRAM = 2048;
    static final int COMPACT_PEER_LENGTH = 6;
    static final int COMPACT_NODE_LENGTH = 26;

    private final DatagramSocket socket;
    private final byte[] nodeId = new byte[20];
    private final SecureRandom random = new SecureRandom();
    private int nextTransaction;

    KrpcProbe() throws IOException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        random.nextBytes(nodeId);
    }

    /** One query to 127.0.0.1:port; returns the response's {@code r} dict. */
    BDict query(int port, String method, BDict.Builder arguments) throws IOException {
        byte[] transaction = {(byte) 'p', (byte) (nextTransaction++)};
        BDict message = BDict.builder()
                .put("t", transaction)
                .put("y", "q")
                .put("q", method)
                .put("ro", 1)
                .put("a", arguments.put("id", nodeId).build())
                .build();
        byte[] out = Bencode.encode(message);
        InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        socket.send(new DatagramPacket(out, out.length, to));
        long deadline = System.nanoTime() + QUERY_TIMEOUT.toNanos();
        byte[] in = new byte[MAX_DATAGRAM];
        while (true) {
            int left = (int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            socket.setSoTimeout(left);
            DatagramPacket packet = new DatagramPacket(in, in.length);
            try {
                socket.receive(packet);
            } catch (SocketTimeoutException e) {
                throw new IOException("no answer to " + method + " from " + to + " within "
                        + QUERY_TIMEOUT.toSeconds() + " s", e);
            }
            if (packet.getPort() != port) continue;
            BDict answer;
            try {
                answer = Bencode.decodeDict(Arrays.copyOf(in, packet.getLength()));
            } catch (CodecException e) {
                throw new IOException(to + " answered " + method + " with a datagram that is not canonical bencode: "
                        + e.getMessage() + " at offset " + e.offset() + "; bytes: "
                        + printable(Arrays.copyOf(in, packet.getLength())), e);
            }
            try {
                if (!Arrays.equals(answer.bytes("t").orElse(null), transaction)) continue;
                String kind = new String(answer.requireBytes("y"), java.nio.charset.StandardCharsets.UTF_8);
                if (kind.equals("e")) throw new IOException(to + " answered " + method + " with error " + answer.get("e"));
                if (!kind.equals("r")) throw new IOException(to + " answered " + method + " with y=" + kind);
                return answer.dict("r").orElseThrow(() -> new IOException(to + " answered " + method + " without r"));
            } catch (CodecException e) {
                throw new IOException(to + " answered " + method + " with a malformed message: " + e.getMessage(), e);
            }
        }
    }

    /** The BEP 44 item (its {@code r}: v, and k/seq/sig when mutable) node port stores under target. */
    Optional<BDict> storedItem(int port, byte[] target) throws IOException {
        BDict r = query(port, "get", BDict.builder().put("target", target));
        return r.has("v") ? Optional.of(r) : Optional.empty();
    }

    /** The peers ("ip:port") node port returns in {@code values} for infohash. */
    List<String> storedPeers(int port, byte[] infohash) throws IOException, CodecException {
        BDict r = query(port, "get_peers", BDict.builder().put("info_hash", infohash));
        List<String> peers = new ArrayList<>();
        Optional<BValue.BList> values = r.list("values");
        if (values.isEmpty()) return peers;
        for (BValue v : values.get().items()) {
            if (v instanceof BBytes b && b.length() == COMPACT_PEER_LENGTH) peers.add(compactAddress(b.bytes(), 0));
        }
        return peers;
    }

    /** The ports of the IPv4 nodes that node port returns for a find_node on target. */
    List<Integer> knownNodePorts(int port, byte[] target) throws IOException, CodecException {
        BDict r = query(port, "find_node", BDict.builder().put("target", target));
        List<Integer> ports = new ArrayList<>();
        byte[] nodes = r.bytes("nodes").orElse(new byte[0]);
        for (int i = 0; i + COMPACT_NODE_LENGTH <= nodes.length; i += COMPACT_NODE_LENGTH) {
            ports.add(((nodes[i + 24] & 0xff) << 8) | (nodes[i + 25] & 0xff));
        }
        return ports;
    }

    static String compactAddress(byte[] b, int offset) {
        return (b[offset] & 0xff) + "." + (b[offset + 1] & 0xff) + "." + (b[offset + 2] & 0xff) + "."
                + (b[offset + 3] & 0xff) + ":" + (((b[offset + 4] & 0xff) << 8) | (b[offset + 5] & 0xff));
    }

    private static String printable(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) {
            if (b >= 0x20 && b < 0x7f) s.append((char) b);
            else s.append(String.format("\\x%02x", b & 0xff));
        }
        return s.toString();
    }

    @Override
    public void close() {
        socket.close();
    }
}
