package io.megatorrent.transport;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Which handshakes a node runs (PROTOCOL_FINAL.md 4.2). {@code hybrid}: it initiates the hybrid
 * handshake (XXhfs / IKhfs, X25519 + ML-KEM-768) and accepts it. {@code classic}: it accepts the
 * classic XX and IK as a responder and, as an initiator, falls back to them when a responder
 * refuses the hybrid offer; turned off, no session ever runs without ML-KEM. A policy with
 * hybrid off is a classic-only node (for peers without ML-KEM, and for tests of the fallback).
 * {@code hybridPeers} remembers static keys that completed a hybrid handshake: those are never
 * run classic again.
 */
public record HandshakePolicy(boolean hybrid, boolean classic, KnownHybridPeers hybridPeers) {
    /** The v6 default: hybrid first, classic accepted and used as the specified fallback. */
    public static final HandshakePolicy DEFAULT = new HandshakePolicy(true, true, KnownHybridPeers.PROCESS);
    /** Hybrid only: classic refused as a responder, never fallen back to as an initiator. */
    public static final HandshakePolicy HYBRID_ONLY = new HandshakePolicy(true, false, KnownHybridPeers.PROCESS);

    private static volatile HandshakePolicy processDefault = DEFAULT;

    public HandshakePolicy {
        if (!hybrid && !classic) throw new IllegalArgumentException("a node must run the hybrid or the classic handshake");
        if (hybridPeers == null) throw new IllegalArgumentException("hybridPeers is required");
    }

    /** A classic-only node (no ML-KEM) remembering into {@code peers}. */
    public static HandshakePolicy classicOnly(KnownHybridPeers peers) {
        return new HandshakePolicy(false, true, peers);
    }

    /** The policy of connections made without one: {@link #DEFAULT} unless the CLI set another (e.g. {@code --no-classic}). */
    public static HandshakePolicy processDefault() {
        return processDefault;
    }

    /** Sets the process-wide policy; the CLI calls it once, before any connection. */
    public static void setProcessDefault(HandshakePolicy policy) {
        if (policy == null) throw new IllegalArgumentException("policy is required");
        processDefault = policy;
    }

    /** Whether this node runs the handshake {@code protocol} as a responder. */
    boolean runs(Noise.Protocol protocol) {
        return protocol.pattern().hybrid() ? hybrid : classic;
    }

    /**
     * Static keys (X25519 public keys) seen completing a hybrid handshake, newest kept, at most
     * {@link #MAX_KEYS}: a bounded memory that a flood of new peers can only make forget. In
     * memory only: a restarted node learns again from its first hybrid session with each peer.
     */
    public static final class KnownHybridPeers {
        public static final int MAX_KEYS = 16_384;
        /** Shared by every connection of this process that uses the default policies. */
        public static final KnownHybridPeers PROCESS = new KnownHybridPeers();

        private final ReentrantLock lock = new ReentrantLock();
        private final Map<String, Boolean> keys = new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > MAX_KEYS;
            }
        };

        public void add(byte[] staticKey) {
            if (staticKey == null) return;
            lock.lock();
            try {
                keys.put(io.megatorrent.codec.Hex.encode(staticKey), Boolean.TRUE);
            } finally {
                lock.unlock();
            }
        }

        public boolean contains(byte[] staticKey) {
            if (staticKey == null) return false;
            lock.lock();
            try {
                return keys.containsKey(io.megatorrent.codec.Hex.encode(staticKey));
            } finally {
                lock.unlock();
            }
        }

        public int size() {
            lock.lock();
            try {
                return keys.size();
            } finally {
                lock.unlock();
            }
        }
    }
}
