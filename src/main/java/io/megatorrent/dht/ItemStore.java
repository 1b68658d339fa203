package io.megatorrent.dht;

import io.megatorrent.codec.BValue;
import io.megatorrent.codec.Bencode;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.dht.KrpcMessage.Put;
import java.util.HashMap;
import java.util.Map;

/**
 * BEP 44 items, immutable and mutable, each expiring 2 hours after its last put, with a cap
 * on their number. Every put is checked here: size, salt, target, signature, cas, seq.
 */
final class ItemStore {
    static final long ITEM_TTL_NANOS = 2L * 60 * 60 * 1_000_000_000L;
    /** Items held at once; puts of new targets beyond it are refused with 202 until some expire. */
    static final int MAX_ITEMS = 5_000;

    /** A stored item; publicKey, salt and signature are null for an immutable one. */
    record Item(BValue value, byte[] publicKey, byte[] salt, long seq, byte[] signature, long expiresAt) {
        boolean mutable() {
            return publicKey != null;
        }
    }

    private final Map<NodeId, Item> items = new HashMap<>();

    /** Checks a put and stores it; returns the item's target. */
    synchronized NodeId put(Put put, long now) throws KrpcException {
        Item item = verify(put, now);
        NodeId target = put.mutable() ? new NodeId(Bep44.mutableTarget(put.publicKey(), put.salt())) : new NodeId(Bep44.immutableTarget(Bencode.encode(put.value())));
        Item old = items.get(target);
        if (old != null && old.mutable()) {
            if (put.cas() != null && put.cas() != old.seq())
                throw new KrpcException(KrpcException.CAS_MISMATCH, "CAS mismatch: stored seq is " + old.seq());
            if (put.seq() < old.seq())
                throw new KrpcException(KrpcException.SEQ_LESS_THAN_CURRENT, "sequence number less than current");
        }
        if (old == null && items.size() >= MAX_ITEMS) {
            expire(now);
            if (items.size() >= MAX_ITEMS) throw new KrpcException(KrpcException.SERVER, "storage full");
        }
        items.put(target, item);
        return target;
    }

    /** BEP 44's checks of a put on its own, without the stored item: size, salt, signature. */
    static Item verify(Put put, long now) throws KrpcException {
        byte[] v = Bencode.encode(put.value());
        if (v.length > Bep44.MAX_VALUE_LENGTH)
            throw new KrpcException(KrpcException.MESSAGE_TOO_BIG, "message (v field) too big");
        if (!put.mutable()) return new Item(put.value(), null, null, 0, null, now + ITEM_TTL_NANOS);
        if (put.salt().length > Bep44.MAX_SALT_LENGTH)
            throw new KrpcException(KrpcException.SALT_TOO_BIG, "salt (salt field) too big");
        if (!Ed25519.verify(put.publicKey(), Bep44.signedBuffer(put.salt(), put.seq(), v), put.signature()))
            throw new KrpcException(KrpcException.INVALID_SIGNATURE, "invalid signature");
        return new Item(put.value(), put.publicKey(), put.salt(), put.seq(), put.signature(), now + ITEM_TTL_NANOS);
    }

    synchronized Item get(NodeId target, long now) {
        Item item = items.get(target);
        if (item != null && item.expiresAt() - now <= 0) {
            items.remove(target);
            return null;
        }
        return item;
    }

    synchronized void expire(long now) {
        items.values().removeIf(i -> i.expiresAt() - now <= 0);
    }

    synchronized int size() {
        return items.size();
    }
}
