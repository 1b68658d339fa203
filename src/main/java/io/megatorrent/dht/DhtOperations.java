package io.megatorrent.dht;

import io.megatorrent.codec.BValue;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What a DHT user asks of the network, whether over UDP ({@link DhtNode}) or through a bridge
 * ({@link DhtClient}): lookups followed by the store step where there is one.
 */
public interface DhtOperations {
    DhtNode.PutResult putMutable(byte[] seed, byte[] salt, BValue value, Long seq, Duration timeout) throws InterruptedException;

    /** Puts a mutable item signed elsewhere (the signature is checked before anything is sent). */
    DhtNode.PutResult putSigned(byte[] publicKey, byte[] salt, BValue value, long seq, byte[] signature, Duration timeout) throws InterruptedException;

    Optional<DhtNode.Item> getMutable(byte[] publicKey, byte[] salt, Duration timeout) throws InterruptedException;

    DhtNode.PutResult putImmutable(BValue value, Duration timeout) throws InterruptedException;

    Optional<DhtNode.Item> getImmutable(NodeId target, Duration timeout) throws InterruptedException;

    int announce(NodeId infohash, int port, Duration timeout) throws InterruptedException;

    List<InetSocketAddress> getPeers(NodeId infohash, Duration timeout) throws InterruptedException;
}
