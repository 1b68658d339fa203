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
     * that gave one; hops: lookup rounds to reach the closest node (seeds are hop 1).
     */
    record Result(List<NodeInfo> closest, Map<NodeId, byte[]> tokens, Set<InetSocketAddress> peers, FoundItem item, int hops, int queries) {}

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

    private final TreeSet<Candidate> candidates;
    private final Map<NodeId, Candidate> byId = new HashMap<>();
    private final Map<NodeId, byte[]> tokens = new LinkedHashMap<>();
    private final Set<InetSocketAddress> peers = new LinkedHashSet<>();
    private FoundItem item;
    private int queries;

    Lookup(KrpcTransport transport, NodeId ownId, NodeId target, Kind kind, byte[] salt, boolean stopAtFirstItem) {
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
        int hops = 0;
        for (Candidate c : candidates) {
            if (c.state != State.ANSWERED) continue;
            if (closest.isEmpty()) hops = c.hop;
            closest.add(c.node);
            if (closest.size() == K) break;
        }
        return new Result(closest, tokens, peers, item, hops, queries);
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
            // the node at that address answers under another id (it changed, or we were told a
            // wrong one): it counts where its real id puts it, unless that id is already known
            c.state = State.FAILED;
            if (r.id().equals(ownId) || byId.containsKey(r.id())) return;
            Candidate real = new Candidate(new NodeInfo(r.id(), c.node.address()), c.hop);
            byId.put(r.id(), real);
            candidates.add(real);
            c = real;
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
        for (NodeInfo n : nodes) offer(n, c.hop + 1);
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
