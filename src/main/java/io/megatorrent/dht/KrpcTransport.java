package io.megatorrent.dht;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The one seam for "send this query to that node and wait for its answer". The UDP node
 * ({@link DhtNode}) implements it; a DHT-over-TCP bridge can stand behind it too, and
 * lookups only ever use this interface.
 */
public interface KrpcTransport {
    /**
     * Sends the query and blocks (on a virtual thread) until the response arrives.
     *
     * @throws KrpcException the node answered with a KRPC error
     * @throws java.net.SocketTimeoutException no answer in time
     * @throws IOException the query could not be sent
     */
    KrpcMessage.Response query(InetSocketAddress to, KrpcMessage.Query query) throws KrpcException, IOException, InterruptedException;
}
