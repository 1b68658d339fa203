package io.megatorrent.dht;

import io.megatorrent.codec.BValue;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The body of a KRPC message (BEP 5, BEP 44): one record per query, per response, and the
 * error. The envelope fields (transaction id, version, read-only flag) live in {@link Krpc.Packet}.
 * A response does not name its method on the wire: it is typed by the query its transaction
 * id answers. Optional fields are null when absent.
 */
public sealed interface KrpcMessage {

    /** The query methods, with their wire names. */
    enum Method {
        PING("ping"), FIND_NODE("find_node"), GET_PEERS("get_peers"), ANNOUNCE_PEER("announce_peer"), GET("get"), PUT("put");

        public final String wireName;

        Method(String wireName) {
            this.wireName = wireName;
        }

        public static Method byWireName(String name) {
            for (Method m : values()) if (m.wireName.equals(name)) return m;
            return null;
        }
    }

    sealed interface Query extends KrpcMessage permits Ping, FindNode, GetPeers, AnnouncePeer, Get, Put {
        /** The querying node's id. */
        NodeId id();

        Method method();
    }

    sealed interface Response extends KrpcMessage
            permits PingResponse, FindNodeResponse, GetPeersResponse, AnnouncePeerResponse, GetResponse, PutResponse {
        /** The responding node's id. */
        NodeId id();
    }

    record Ping(NodeId id) implements Query {
        public Method method() {
            return Method.PING;
        }
    }

    record FindNode(NodeId id, NodeId target) implements Query {
        public Method method() {
            return Method.FIND_NODE;
        }
    }

    record GetPeers(NodeId id, NodeId infohash) implements Query {
        public Method method() {
            return Method.GET_PEERS;
        }
    }

    /** With impliedPort the storing node uses the UDP source port and ignores port. */
    record AnnouncePeer(NodeId id, NodeId infohash, int port, boolean impliedPort, byte[] token) implements Query {
        public Method method() {
            return Method.ANNOUNCE_PEER;
        }
    }

    /** seq (nullable): the querier already holds this sequence number; v is returned only when newer (BEP 44). */
    record Get(NodeId id, NodeId target, Long seq) implements Query {
        public Method method() {
            return Method.GET;
        }
    }

    /**
     * An immutable put has publicKey, signature and salt null; a mutable one has all of them
     * (salt may be empty) and seq; cas (nullable) is the sequence number the put expects to replace.
     */
    record Put(NodeId id, byte[] token, BValue value, byte[] publicKey, byte[] salt, long seq, byte[] signature, Long cas)
            implements Query {
        public Method method() {
            return Method.PUT;
        }

        public boolean mutable() {
            return publicKey != null;
        }
    }

    record PingResponse(NodeId id) implements Response {}

    record FindNodeResponse(NodeId id, List<NodeInfo> nodes) implements Response {}

    /** peers is empty when the node gave only nodes. */
    record GetPeersResponse(NodeId id, byte[] token, List<InetSocketAddress> peers, List<NodeInfo> nodes) implements Response {}

    record AnnouncePeerResponse(NodeId id) implements Response {}

    /**
     * value null: the node holds no (newer) item; publicKey null: the item, if any, is
     * immutable; seq (nullable) alone without value: the querier's copy is up to date (BEP 44).
     */
    record GetResponse(NodeId id, byte[] token, List<NodeInfo> nodes, BValue value, byte[] publicKey, Long seq, byte[] signature)
            implements Response {}

    record PutResponse(NodeId id) implements Response {}

    record Error(int code, String message) implements KrpcMessage {}
}
