package io.megatorrent.dht;

import io.megatorrent.codec.BValue;
import io.megatorrent.codec.Bencode;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.dht.KrpcMessage.*;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One iterative lookup (BEP 5): ALPHA queries in flight, each on its own virtual thread,
 * always to the closest candidates not yet asked; it ends when the K closest candidates that
 * did not fail have all answered, when no candidate is left, or at the deadline.
 */
final class Lookup {
    static final int ALPHA = 3;
    static final int K = RoutingTable.K;
    /** Candidates kept; the farthest unasked ones are dropped beyond it. */
    static final int MAX_CANDIDATES = 256;

    enum Kind { FIND_NODE, GET_PEERS, GET }

    /** A found BEP 44 item, already verified against the target (and signature). */
    record FoundItem(BValue value, byte[] publicKey, long seq, byte[] signature) {}

    /**
     * closest: the K closest nodes that answered, closest first; tokens by node id from those
     * that gave one; storeNodes: the K closest nodes that answered with a token (the store
     * step's targets); hops: lookup rounds to reach the closest node (seeds are hop 1).
     */
    record Result(List<NodeInfo> closest, List<NodeInfo> storeNodes, Map<NodeId, byte[]> tokens, Set<InetSocketAddress> peers, FoundItem item, int hops, int queries) {}

    private enum State { NEW, IN_FLIGHT, ANSWERED, FAILED }

    private static final class Candidate {
        final NodeInfo node;
        final int hop;
        State state = State.NEW;

        Candidate(NodeInfo node, int hop) {
            this.node = node;
            this.hop = hop;
        }
    }

    private record Outcome(Candidate candidate, Response response) {}

    private final KrpcTransport transport;
    private final NodeId ownId;
    private final NodeId target;
    private final Kind kind;
    private final byte[] salt; // for mutable GET: the item's salt; null: immutable
    private final boolean stopAtFirstItem;
    private final java.net.InetAddress ownBound; // null: not known (a bridged client)

    private final TreeSet<Candidate> candidates;
    private final Map<NodeId, Candidate> byId = new HashMap<>();
    private final Map<NodeId, byte[]> tokens = new LinkedHashMap<>();
    private final Set<InetSocketAddress> peers = new LinkedHashSet<>();
    private FoundItem item;
    private int queries;

    Lookup(KrpcTransport transport, NodeId ownId, NodeId target, Kind kind, byte[] salt, boolean stopAtFirstItem) {
        this(transport, ownId, target, kind, salt, stopAtFirstItem, null);
    }

    /** ownBound: the address our socket is bound to; loopback or local contacts of its scope are followed. */
    Lookup(KrpcTransport transport, NodeId ownId, NodeId target, Kind kind, byte[] salt, boolean stopAtFirstItem, java.net.InetAddress ownBound) {
        this.ownBound = ownBound;
        this.transport = transport;
        this.ownId = ownId;
        this.target = target;
        this.kind = kind;
        this.salt = salt;
        this.stopAtFirstItem = stopAtFirstItem;
        this.candidates = new TreeSet<>((a, b) -> {
            int c = target.compareDistance(a.node.id(), b.node.id());
            return c != 0 ? c : a.node.id().compareTo(b.node.id());
        });
    }

    Result run(List<NodeInfo> seeds, long deadlineNanos) throws InterruptedException {
        for (NodeInfo s : seeds) offer(s, 1);
        LinkedBlockingQueue<Outcome> done = new LinkedBlockingQueue<>();
        int inFlight = 0;
        while (true) {
            while (inFlight < ALPHA) {
                Candidate c = next();
                if (c == null) break;
                c.state = State.IN_FLIGHT;
                inFlight++;
                queries++;
                Query q = query();
                Thread.ofVirtual().name("dht-lookup-query").start(() -> {
                    Response r = null;
                    try {
                        r = transport.query(c.node.address(), q);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (Exception e) {
                        // timeout, error answer or I/O: the candidate failed
                    }
                    done.add(new Outcome(c, r));
                });
            }
            if (inFlight == 0 || closestAnswered() || (stopAtFirstItem && item != null)) break;
            long wait = deadlineNanos - System.nanoTime();
            Outcome o = wait <= 0 ? null : done.poll(wait, TimeUnit.NANOSECONDS);
            if (o == null) break;
            inFlight--;
            handle(o);
        }
        List<NodeInfo> closest = new ArrayList<>(K);
        List<NodeInfo> storeNodes = new ArrayList<>(K);
        int hops = 0;
        for (Candidate c : candidates) {
            if (c.state != State.ANSWERED) continue;
            if (closest.isEmpty()) hops = c.hop;
            if (closest.size() < K) closest.add(c.node);
            if (storeNodes.size() < K && tokens.containsKey(c.node.id())) storeNodes.add(c.node);
            if (closest.size() == K && storeNodes.size() == K) break;
        }
        return new Result(closest, storeNodes, tokens, peers, item, hops, queries);
    }

    private Query query() {
        return switch (kind) {
            case FIND_NODE -> new FindNode(ownId, target);
            case GET_PEERS -> new GetPeers(ownId, target);
            case GET -> new Get(ownId, target, null);
        };
    }

    /** The closest unasked candidate among the K closest that have not failed, or null. */
    private Candidate next() {
        int rank = 0;
        for (Candidate c : candidates) {
            if (c.state == State.FAILED) continue;
            if (c.state == State.NEW) return c;
            if (++rank >= K) return null;
        }
        return null;
    }

    /** True when the K closest candidates that did not fail have all answered. */
    private boolean closestAnswered() {
        int rank = 0;
        for (Candidate c : candidates) {
            if (c.state == State.FAILED) continue;
            if (c.state != State.ANSWERED) return false;
            if (++rank >= K) return true;
        }
        return false; // fewer than K: the loop ends when nothing is in flight
    }

    private void offer(NodeInfo node, int hop) {
        if (node.id().equals(ownId) || byId.containsKey(node.id())) return;
        Candidate c = new Candidate(node, hop);
        byId.put(node.id(), c);
        candidates.add(c);
        if (candidates.size() > MAX_CANDIDATES) {
            for (Candidate far : candidates.descendingSet()) {
                if (far.state == State.NEW) {
                    candidates.remove(far);
                    break;
                }
            }
        }
    }

    private void handle(Outcome o) {
        Candidate c = o.candidate();
        Response r = o.response();
        if (r == null) {
            c.state = State.FAILED;
            return;
        }
        if (!r.id().equals(c.node.id())) {
            // 3.8: an answer under another id than the one the node was learned under is a
            // failure, and nothing in it is used: a node must not pick where it sits in our
            // lookup. (A node that changed its id, as libtorrent does once it learns its external
            // address, is found again under its new id through the other nodes.)
            c.state = State.FAILED;
            return;
        }
        c.state = State.ANSWERED;
        List<NodeInfo> nodes = switch (r) {
            case FindNodeResponse f -> f.nodes();
            case GetPeersResponse g -> {
                if (g.token() != null) tokens.put(r.id(), g.token());
                peers.addAll(g.peers());
                yield g.nodes();
            }
            case GetResponse g -> {
                if (g.token() != null) tokens.put(r.id(), g.token());
                if (g.value() != null) accept(g);
                yield g.nodes();
            }
            default -> List.of();
        };
        java.net.InetAddress responder = c.node.address().getAddress();
        for (NodeInfo n : nodes)
            if (Addresses.contactAllowed(n.address(), responder, ownBound)) offer(n, c.hop + 1);
    }

    private void accept(GetResponse g) {
        byte[] v = Bencode.encode(g.value());
        if (v.length > Bep44.MAX_VALUE_LENGTH) return;
        if (salt == null) {
            if (g.publicKey() == null && new NodeId(Bep44.immutableTarget(v)).equals(target) && item == null)
                item = new FoundItem(g.value(), null, 0, null);
            return;
        }
        if (g.publicKey() == null || !new NodeId(Bep44.mutableTarget(g.publicKey(), salt)).equals(target)) return;
        if (g.seq() == null || g.signature() == null || (item != null && item.seq() >= g.seq())) return;
        if (!Ed25519.verify(g.publicKey(), Bep44.signedBuffer(salt, g.seq(), v), g.signature())) return;
        item = new FoundItem(g.value(), g.publicKey(), g.seq(), g.signature());
    }
}
