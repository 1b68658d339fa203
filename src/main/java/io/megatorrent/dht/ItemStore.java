package io.megatorrent.dht;

import io.megatorrent.codec.BValue;
import io.megatorrent.codec.Bencode;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.dht.KrpcMessage.Put;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * BEP 44 items, immutable and mutable, each expiring 2 hours after its last put, with a cap
 * on their number and on the items one source (IPv4 address, IPv6 /64) holds. Every put is
 * checked here: size, salt, target, signature, cas, seq.
 */
final class ItemStore {
    static final long ITEM_TTL_NANOS = 2L * 60 * 60 * 1_000_000_000L;
    /** Items held at once; puts of new targets beyond it are refused with 202 until some expire. */
    static final int MAX_ITEMS = 5_000;
    /**
     * Items whose last put came from one source; its puts of further targets are refused with
     * 202, so one host cannot fill the store for everyone.
     */
    static final int MAX_ITEMS_PER_SOURCE = 100;
    /** Items all bridged clients relayed by a local proxy hold together (Addresses.PROXIED): a fifth of the store. */
    static final int MAX_ITEMS_PROXIED = MAX_ITEMS / 5;

    /** A stored item; publicKey, salt and signature are null for an immutable one. */
    record Item(BValue value, byte[] publicKey, byte[] salt, long seq, byte[] signature, long expiresAt, InetAddress source) {
        boolean mutable() {
            return publicKey != null;
        }
    }

    private final Map<NodeId, Item> items = new HashMap<>();
    /** Items held per source key ({@link Addresses#limitKey}); sources with none are absent. */
    private final Map<InetAddress, Integer> perSource = new HashMap<>();

    /** Checks a put and stores it, without a per-source quota; returns the item's target. */
    NodeId put(Put put, long now) throws KrpcException {
        return put(put, null, now);
    }

    /**
     * Checks a put from {@code from} (null: no per-source quota) and stores it; returns the
     * item's target. The signature is checked before the store is locked: an Ed25519
     * verification per put must not serialize every other get and put behind it.
     */
    NodeId put(Put put, InetAddress from, long now) throws KrpcException {
        // loopback sources are exempt, as from the rate limit: only processes on this host use them
        InetAddress source = from == null || from.isLoopbackAddress() ? null : Addresses.limitKey(from);
        Item item = verify(put, now, source);
        NodeId target = put.mutable() ? new NodeId(Bep44.mutableTarget(put.publicKey(), put.salt())) : new NodeId(Bep44.immutableTarget(Bencode.encode(put.value())));
        synchronized (this) {
            store(target, item, put, now);
        }
        return target;
    }

    private void store(NodeId target, Item item, Put put, long now) throws KrpcException {
        Item old = items.get(target);
        if (old != null && old.mutable()) {
            if (put.cas() != null && put.cas() != old.seq())
                throw new KrpcException(KrpcException.CAS_MISMATCH, "CAS mismatch: stored seq is " + old.seq());
            if (put.seq() < old.seq())
                throw new KrpcException(KrpcException.SEQ_LESS_THAN_CURRENT, "sequence number less than current");
        }
        if (old == null && items.size() >= MAX_ITEMS) {
            expireIfDue(now);
            if (items.size() >= MAX_ITEMS) throw new KrpcException(KrpcException.SERVER, "storage full");
        }
        InetAddress source = item.source();
        boolean sameSource = old != null && java.util.Objects.equals(old.source(), source);
        int cap = Addresses.PROXIED.equals(source) ? MAX_ITEMS_PROXIED : MAX_ITEMS_PER_SOURCE;
        if (source != null && !sameSource && perSource.getOrDefault(source, 0) >= cap) {
            expireIfDue(now);
            if (perSource.getOrDefault(source, 0) >= cap)
                throw new KrpcException(KrpcException.SERVER, "storage full for this address: " + cap + " items");
        }
        Item replaced = items.put(target, item);
        if (replaced != null) uncount(replaced);
        if (source != null) perSource.merge(source, 1, Integer::sum);
    }

    private void uncount(Item item) {
        if (item.source() != null) perSource.computeIfPresent(item.source(), (k, n) -> n <= 1 ? null : n - 1);
    }

    /** BEP 44's checks of a put on its own, without the stored item: size, salt, signature. */
    static Item verify(Put put, long now) throws KrpcException {
        return verify(put, now, null);
    }

    private static Item verify(Put put, long now, InetAddress source) throws KrpcException {
        byte[] v = Bencode.encode(put.value());
        if (v.length > Bep44.MAX_VALUE_LENGTH)
            throw new KrpcException(KrpcException.MESSAGE_TOO_BIG, "message (v field) too big");
        if (!put.mutable()) return new Item(put.value(), null, null, 0, null, now + ITEM_TTL_NANOS, source);
        if (put.salt().length > Bep44.MAX_SALT_LENGTH)
            throw new KrpcException(KrpcException.SALT_TOO_BIG, "salt (salt field) too big");
        if (!Ed25519.verify(put.publicKey(), Bep44.signedBuffer(put.salt(), put.seq(), v), put.signature()))
            throw new KrpcException(KrpcException.INVALID_SIGNATURE, "invalid signature");
        return new Item(put.value(), put.publicKey(), put.salt(), put.seq(), put.signature(), now + ITEM_TTL_NANOS, source);
    }

    synchronized Item get(NodeId target, long now) {
        Item item = items.get(target);
        if (item != null && item.expiresAt() - now <= 0) {
            items.remove(target);
            uncount(item);
            return null;
        }
        return item;
    }

    /** A full scan at most once a second when a cap is reached (as PeerStore): never one per put on the receive thread. */
    private void expireIfDue(long now) {
        if (lastFullExpiry != 0 && now - lastFullExpiry < PeerStore.FULL_EXPIRY_INTERVAL_NANOS) return;
        expire(now);
    }

    private long lastFullExpiry;

    synchronized void expire(long now) {
        lastFullExpiry = now == 0 ? 1 : now;
        for (Iterator<Item> it = items.values().iterator(); it.hasNext(); ) {
            Item i = it.next();
            if (i.expiresAt() - now > 0) continue;
            it.remove();
            uncount(i);
        }
    }

    synchronized int itemsFrom(InetAddress source) {
        return perSource.getOrDefault(Addresses.limitKey(source), 0);
    }

    synchronized int size() {
        return items.size();
    }
}
