package io.megatorrent.dht;

import io.megatorrent.codec.BValue;
import io.megatorrent.codec.Bencode;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.dht.KrpcMessage.Put;
import io.megatorrent.dht.KrpcMessage.Query;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The BEP 44 and peer operations on top of a lookup, shared by the UDP node ({@link DhtNode})
 * and the bridged client ({@link DhtClient}): they differ only in where a lookup's first
 * contacts come from and how a query travels.
 */
final class ItemOperations {
    private static final System.Logger LOG = System.getLogger(ItemOperations.class.getName());

    /** Runs one lookup to {@code deadline} (System.nanoTime). */
    @FunctionalInterface
    interface Lookups {
        Lookup.Result run(NodeId target, Lookup.Kind kind, byte[] salt, boolean stopAtFirstItem, long deadline) throws InterruptedException;
    }

    private final Lookups lookups;
    private final KrpcTransport transport;
    private final NodeId id;

    ItemOperations(Lookups lookups, KrpcTransport transport, NodeId id) {
        this.lookups = lookups;
        this.transport = transport;
        this.id = id;
    }

    private static long deadline(Duration timeout) {
        return System.nanoTime() + timeout.toNanos();
    }

    List<InetSocketAddress> getPeers(NodeId infohash, Duration timeout) throws InterruptedException {
        return new ArrayList<>(lookups.run(infohash, Lookup.Kind.GET_PEERS, null, false, deadline(timeout)).peers());
    }

    Optional<DhtNode.Item> getImmutable(NodeId target, Duration timeout) throws InterruptedException {
        Lookup.Result r = lookups.run(target, Lookup.Kind.GET, null, true, deadline(timeout));
        return Optional.ofNullable(r.item()).map(i -> new DhtNode.Item(i.value(), null, 0, null));
    }

    Optional<DhtNode.Item> getMutable(byte[] publicKey, byte[] salt, Duration timeout) throws InterruptedException {
        NodeId target = new NodeId(Bep44.mutableTarget(publicKey, salt));
        Lookup.Result r = lookups.run(target, Lookup.Kind.GET, salt, false, deadline(timeout));
        return Optional.ofNullable(r.item()).map(i -> new DhtNode.Item(i.value(), i.publicKey(), i.seq(), i.signature()));
    }

    DhtNode.PutResult putImmutable(BValue value, Duration timeout) throws InterruptedException {
        byte[] v = Bencode.encode(value);
        if (v.length > Bep44.MAX_VALUE_LENGTH) throw new IllegalArgumentException("bencoded value is " + v.length + " bytes, more than " + Bep44.MAX_VALUE_LENGTH);
        NodeId target = new NodeId(Bep44.immutableTarget(v));
        Lookup.Result r = lookups.run(target, Lookup.Kind.GET, null, false, deadline(timeout));
        return new DhtNode.PutResult(target, 0, store(r, token -> new Put(id, token, value, null, null, 0, null, null)));
    }

    /**
     * Signs and puts a mutable item; seq null means one above the highest found (0 when none is
     * found), put with BEP 44's cas set to the seq found, so that a node holding a newer item
     * written meanwhile by another writer refuses it (error 301) instead of it replacing that one.
     */
    DhtNode.PutResult putMutable(byte[] seed, byte[] salt, BValue value, Long seq, Duration timeout) throws InterruptedException {
        byte[] v = Bencode.encode(value);
        if (v.length > Bep44.MAX_VALUE_LENGTH) throw new IllegalArgumentException("bencoded value is " + v.length + " bytes, more than " + Bep44.MAX_VALUE_LENGTH);
        if (salt.length > Bep44.MAX_SALT_LENGTH) throw new IllegalArgumentException("salt is longer than " + Bep44.MAX_SALT_LENGTH + " bytes");
        Ed25519.KeyPair key = Ed25519.fromSeed(seed);
        NodeId target = new NodeId(Bep44.mutableTarget(key.publicKey(), salt));
        Lookup.Result r = lookups.run(target, Lookup.Kind.GET, salt, false, deadline(timeout));
        long useSeq = seq != null ? seq : r.item() == null ? 0 : r.item().seq() + 1;
        Long cas = seq == null && r.item() != null ? r.item().seq() : null;
        byte[] sig = key.sign(Bep44.signedBuffer(salt, useSeq, v));
        return new DhtNode.PutResult(target, useSeq, store(r, token -> new Put(id, token, value, key.publicKey(), salt, useSeq, sig, cas)));
    }

    /**
     * Puts a mutable item someone else signed (a gateway storing an author's pointer, a node
     * re-putting a channel it follows): checked here first, so a bad signature is never sent.
     */
    DhtNode.PutResult putSigned(byte[] publicKey, byte[] salt, BValue value, long seq, byte[] signature, Duration timeout) throws InterruptedException {
        byte[] v = Bencode.encode(value);
        if (v.length > Bep44.MAX_VALUE_LENGTH) throw new IllegalArgumentException("bencoded value is " + v.length + " bytes, more than " + Bep44.MAX_VALUE_LENGTH);
        if (salt.length > Bep44.MAX_SALT_LENGTH) throw new IllegalArgumentException("salt is longer than " + Bep44.MAX_SALT_LENGTH + " bytes");
        if (!Ed25519.verify(publicKey, Bep44.signedBuffer(salt, seq, v), signature)) throw new IllegalArgumentException("the item's signature does not verify");
        NodeId target = new NodeId(Bep44.mutableTarget(publicKey, salt));
        Lookup.Result r = lookups.run(target, Lookup.Kind.GET, salt, false, deadline(timeout));
        return new DhtNode.PutResult(target, seq, store(r, token -> new Put(id, token, value, publicKey, salt, seq, signature, null)));
    }

    /**
     * The store step (3.8): the query, built with each node's token, goes to each of the K closest
     * nodes that answered with a token, in parallel; a timeout is retried once. Returns how many stored.
     */
    int store(Lookup.Result r, Function<byte[], Query> queryForToken) throws InterruptedException {
        AtomicInteger stored = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (NodeInfo n : r.storeNodes()) {
            byte[] token = r.tokens().get(n.id());
            threads.add(Thread.ofVirtual().name("dht-store").start(() -> {
                Query q = queryForToken.apply(token);
                try {
                    try {
                        transport.query(n.address(), q);
                    } catch (SocketTimeoutException e) {
                        transport.query(n.address(), q);
                    }
                    stored.incrementAndGet();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    LOG.log(System.Logger.Level.INFO, "store at " + n.address() + " failed: " + e.getMessage());
                }
            }));
        }
        for (Thread t : threads) t.join();
        return stored.get();
    }
}
