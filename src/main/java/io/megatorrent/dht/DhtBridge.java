package io.megatorrent.dht;

import io.megatorrent.codec.BValue.BDict;
import io.megatorrent.codec.Bencode;
import io.megatorrent.codec.CodecException;
import io.megatorrent.dht.KrpcMessage.AnnouncePeer;
import io.megatorrent.dht.KrpcMessage.Query;
import io.megatorrent.dht.KrpcMessage.Response;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;

/**
 * The DHT half of a DHT-over-TCP bridge (PROTOCOL_FINAL.md 7): it answers KRPC queries that
 * reached us over another transport, either from our own {@link DhtNode} or by forwarding them
 * over its UDP socket to a node the client names. It knows nothing of the stream they came on:
 * the node layer maps each {@link Outcome} to a message.
 */
public final class DhtBridge {
    /** Largest KRPC packet carried either way: the same bound as a UDP datagram. */
    public static final int MAX_KRPC_LENGTH = Krpc.MAX_DATAGRAM_LENGTH;
    /**
     * Distinct items one connection may have put on remote nodes through us: each costs the
     * bridge's own per-source quota there (100 items per address on a node like ours), so one
     * client may spend a small part of it, not all.
     */
    public static final int MAX_FORWARDED_PUT_TARGETS = 8;

    /** What became of one bridged query. */
    public sealed interface Outcome {
        /** A KRPC response or KRPC error to hand back. */
        record Answer(byte[] krpc) implements Outcome {}

        /** The bridge will not do this (policy, section 7). */
        record Refused(String why) implements Outcome {}

        /** Not a KRPC query we can answer, not even with a KRPC error (no usable {@code t}). */
        record BadQuery(String why) implements Outcome {}

        /** The named node did not answer in time, or could not be sent to. */
        record NoAnswer(String why) implements Outcome {}

        /** Not sent: the node has {@link DhtNode#MAX_FORWARDED_PENDING} forwarded queries waiting already. */
        record Busy(String why) implements Outcome {}
    }

    /**
     * One bridged client (one connection). tokenAddress: a random address in fd00::/8 that
     * stands for the client when tokens are made and checked, so a token is good on that
     * connection only; peerAddress: the address its stream came from, the only one an
     * announce_peer may store (null: none, as for I2P streams).
     */
    public static final class Client {
        private final InetAddress tokenAddress;
        private final InetAddress peerAddress;
        /** Targets this client stored items under: its own quota, as one source's (ItemStore.MAX_ITEMS_PER_SOURCE). */
        private final java.util.Set<NodeId> putTargets = java.util.concurrent.ConcurrentHashMap.newKeySet();
        /** Targets of puts forwarded for this client (node_kind 4, 6): at most {@link #MAX_FORWARDED_PUT_TARGETS}. */
        private final java.util.Set<NodeId> forwardedPutTargets = java.util.concurrent.ConcurrentHashMap.newKeySet();

        private Client(InetAddress tokenAddress, InetAddress peerAddress) {
            this.tokenAddress = tokenAddress;
            this.peerAddress = peerAddress;
        }

        public InetAddress peerAddress() {
            return peerAddress;
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final DhtNode node;
    private final Addresses.Scope boundScope;

    /**
     * Forwarding to a loopback or a local address (private, link-local, CGNAT 100.64/10, ULA) is
     * allowed only when our own node is bound to an address of that same scope (a one-host test
     * network, a LAN): a bridge on a LAN address does not forward to this host's loopback
     * services, nor a public one to the LAN behind it; unusable addresses (0/8, 240/4, the
     * unspecified address, multicast) never.
     */
    public DhtBridge(DhtNode node) {
        this.node = node;
        this.boundScope = Addresses.scope(node.localAddress().getAddress());
    }

    public DhtNode node() {
        return node;
    }

    /**
     * Whether our node is bound to a loopback address: a network on one host, where a stream from
     * loopback is a peer's own address. Otherwise a loopback stream comes through a local proxy
     * (a Tor onion service) and its address must never be stored nor handed out.
     */
    public boolean boundToLoopback() {
        return node.localAddress().getAddress().isLoopbackAddress();
    }

    /** The key per-source limits count a client under: its IPv4 address, or its IPv6 /64. */
    public static InetAddress sourceKey(InetAddress address) {
        return Addresses.limitKey(address);
    }

    /** A client whose stream came from {@code peerAddress} (null when it has no IP address). */
    public Client newClient(InetAddress peerAddress) {
        byte[] pseudo = new byte[16];
        RANDOM.nextBytes(pseudo);
        pseudo[0] = (byte) 0xfd;
        try {
            return new Client(InetAddress.getByAddress(pseudo), peerAddress);
        } catch (UnknownHostException e) {
            throw new AssertionError("16 bytes are always an IPv6 address", e);
        }
    }

    /** node_kind 0: our own node answers, as over UDP but with the client's pseudo-address. */
    public Outcome local(Client client, byte[] krpc) {
        Parsed p = parse(krpc);
        if (p.outcome != null) return p.outcome;
        if (node.readOnly()) return new Outcome.Refused("this bridge's DHT node is read-only");
        if (p.query instanceof AnnouncePeer a) {
            if (a.impliedPort()) return new Outcome.Refused("implied_port is not available over a bridge: give port");
            if (client.peerAddress == null) return new Outcome.Refused("this connection has no IP address to announce");
            if ((client.peerAddress instanceof Inet6Address) != node.isIpv6())
                return new Outcome.Refused("the connection's address is not of this bridge's DHT address family");
        }
        if (p.query instanceof KrpcMessage.Put put && client.peerAddress == null) {
            NodeId target = put.mutable() ? new NodeId(Bep44.mutableTarget(put.publicKey(), put.salt()))
                    : new NodeId(Bep44.immutableTarget(Bencode.encode(put.value())));
            if (!client.putTargets.contains(target) && client.putTargets.size() >= ItemStore.MAX_ITEMS_PER_SOURCE)
                return new Outcome.Refused("this connection stored " + ItemStore.MAX_ITEMS_PER_SOURCE + " items already");
            client.putTargets.add(target);
        }
        KrpcMessage reply;
        try {
            reply = node.respondBridged(p.query, client.tokenAddress, client.peerAddress, System.nanoTime());
        } catch (KrpcException e) {
            reply = new KrpcMessage.Error(e.code(), e.text());
        }
        return new Outcome.Answer(Krpc.encode(new Krpc.Packet(p.tid, reply, DhtNode.VERSION, false, null)));
    }

    /** node_kind 4 or 6: our node sends the query to {@code to} and relays its answer. */
    public Outcome forward(Client client, InetSocketAddress to, byte[] krpc) throws InterruptedException {
        Parsed p = parse(krpc);
        if (p.outcome != null) return p.outcome;
        if (p.query instanceof AnnouncePeer)
            return new Outcome.Refused("announce_peer is not forwarded (the node would store the bridge's address): send it with node_kind 0");
        String bad = refusedTarget(to.getAddress());
        if (bad == null) bad = refusedPort(to);
        if (bad != null) return new Outcome.Refused(bad);
        if (p.query instanceof KrpcMessage.Put put) {
            // remote nodes count the bridge's address for their item quota: one client must not spend it for all
            NodeId target = put.mutable() ? new NodeId(Bep44.mutableTarget(put.publicKey(), put.salt()))
                    : new NodeId(Bep44.immutableTarget(Bencode.encode(put.value())));
            if (!client.forwardedPutTargets.contains(target) && client.forwardedPutTargets.size() >= MAX_FORWARDED_PUT_TARGETS)
                return new Outcome.Refused("this connection had puts of " + MAX_FORWARDED_PUT_TARGETS + " items forwarded already");
            client.forwardedPutTargets.add(target);
        }
        KrpcMessage reply;
        try {
            reply = node.forward(to, p.query);
        } catch (KrpcException e) {
            reply = new KrpcMessage.Error(e.code(), e.text());
        } catch (DhtNode.BusyException e) {
            return new Outcome.Busy(e.getMessage());
        } catch (IOException e) {
            return new Outcome.NoAnswer(e.getMessage() == null ? e.toString() : e.getMessage());
        }
        byte[] out = Krpc.encode(new Krpc.Packet(p.tid, reply, DhtNode.VERSION, false, null));
        if (out.length > MAX_KRPC_LENGTH) return new Outcome.NoAnswer("the answer of " + to + " does not fit in " + MAX_KRPC_LENGTH + " bytes");
        return new Outcome.Answer(out);
    }

    private String refusedTarget(InetAddress a) {
        if ((a instanceof Inet6Address) != node.isIpv6())
            return "this bridge's DHT node is " + (node.isIpv6() ? "IPv6" : "IPv4") + " only";
        Addresses.Scope scope = Addresses.scope(a);
        if (scope == Addresses.Scope.UNUSABLE || (a instanceof Inet4Address && isBroadcast(a)))
            return "not a usable unicast address: " + a.getHostAddress();
        if (scope != Addresses.Scope.PUBLIC && scope != boundScope)
            return "this bridge does not forward to " + (scope == Addresses.Scope.LOOPBACK ? "loopback" : "local or private") + " addresses";
        return null;
    }

    /**
     * UDP ports of services that reflect and amplify (DNS 53, NTP 123, SNMP 161, ... all below
     * 1024; SSDP 1900, mDNS 5353, memcached 11211): a bridge forwards KRPC only to DHT ports.
     */
    static final java.util.Set<Integer> NON_DHT_PORTS = java.util.Set.of(1900, 5353, 11211);
    /** Ports below this are well-known services, never forwarded to. */
    static final int LOWEST_FORWARDED_PORT = 1024;

    /** Our own node's port on one of our addresses (a loop through ourselves), or a non-DHT service port. */
    private String refusedPort(InetSocketAddress to) {
        int port = to.getPort();
        if (port < LOWEST_FORWARDED_PORT || NON_DHT_PORTS.contains(port))
            return "this bridge forwards only to DHT ports (1024..65535 but 1900, 5353, 11211), not " + port;
        InetSocketAddress own = node.localAddress();
        if (port == own.getPort()) {
            InetAddress a = to.getAddress();
            boolean ours = a.equals(own.getAddress()) || a.isLoopbackAddress()
                    || (own.getAddress().isAnyLocalAddress() && isLocalInterface(a));
            if (ours) return "this bridge does not forward to its own DHT node (query it with node_kind 0)";
        }
        return null;
    }

    private static boolean isLocalInterface(InetAddress a) {
        try {
            return java.net.NetworkInterface.getByInetAddress(a) != null;
        } catch (java.net.SocketException e) {
            return true; // cannot tell: refuse rather than loop
        }
    }

    private static boolean isBroadcast(InetAddress a) {
        byte[] b = a.getAddress();
        return (b[0] & b[1] & b[2] & b[3]) == (byte) 0xff;
    }

    private record Parsed(byte[] tid, Query query, Outcome outcome) {}

    /** The client's query, or the outcome that answers it already (a KRPC error, or a bad query). */
    private static Parsed parse(byte[] krpc) {
        if (krpc.length == 0 || krpc.length > MAX_KRPC_LENGTH) return bad("KRPC packet of " + krpc.length + " bytes");
        BDict top;
        try {
            top = Bencode.decodeDict(krpc);
        } catch (CodecException e) {
            return bad("not a bencoded dictionary: " + e.getMessage());
        }
        byte[] tid = Krpc.transactionIdOf(top);
        boolean query = Krpc.isQuery(top);
        if (!query) return bad("not a KRPC query (y is not q)");
        Krpc.Packet packet;
        try {
            packet = Krpc.decode(top, t -> null);
        } catch (KrpcException e) {
            if (tid == null) return bad("malformed query without a usable t: " + e.getMessage());
            byte[] err = Krpc.encode(new Krpc.Packet(tid, new KrpcMessage.Error(e.code(), e.text()), DhtNode.VERSION, false, null));
            return new Parsed(tid, null, new Outcome.Answer(err));
        }
        if (!(packet.message() instanceof Query q)) return bad("not a KRPC query");
        return new Parsed(packet.transactionId(), q, null);
    }

    private static Parsed bad(String why) {
        return new Parsed(null, null, new Outcome.BadQuery(why));
    }

    /** For clients: the response a bridged query's answer carries, typed by the query's method. */
    public static Response parseAnswer(byte[] krpc, byte[] expectedTid, KrpcMessage.Method method) throws KrpcException {
        Krpc.Packet p = Krpc.decode(krpc, t -> java.util.Arrays.equals(t, expectedTid) ? method : null);
        if (!java.util.Arrays.equals(p.transactionId(), expectedTid)) throw KrpcException.protocol("answer with another transaction id");
        return switch (p.message()) {
            case Response r -> r;
            case KrpcMessage.Error e -> throw new KrpcException(e.code(), e.message());
            case Query q -> throw KrpcException.protocol("a query where an answer was expected");
        };
    }

    /** For clients: the bytes of a query as a bridged client sends it (ro=1: it never enters a table). */
    public static byte[] encodeQuery(byte[] tid, Query q) {
        return Krpc.encode(new Krpc.Packet(tid, q, DhtNode.VERSION, true, null));
    }
}
