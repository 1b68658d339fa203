package io.megatorrent.dht;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.megatorrent.codec.BValue;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, finding 3: bridged clients relayed by a local proxy (no address of their own, as over
 * I2P) get no fresh item quota per connection: each connection stores at most a source's quota,
 * and all of them together count under one shared key with its own cap.
 */
class ProxiedQuotaTest {
    @Test
    void proxiedClientsShareOneItemQuota() throws Exception {
        try (DhtNode node = DhtNode.start(DhtNode.Config.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))) {
            DhtBridge bridge = new DhtBridge(node);
            int stored = 0;
            for (int conn = 0; conn < 2; conn++) {
                DhtBridge.Client client = bridge.newClient(null);
                byte[] token = token(bridge, client);
                for (int i = 0; i <= ItemStore.MAX_ITEMS_PER_SOURCE; i++) {
                    DhtBridge.Outcome o = bridge.local(client, DhtBridge.encodeQuery(new byte[] {1},
                            new KrpcMessage.Put(NodeId.random(), token, BValue.BBytes.of("c" + conn + " item " + i), null, null, 0, null, null)));
                    if (i < ItemStore.MAX_ITEMS_PER_SOURCE) {
                        assertInstanceOf(DhtBridge.Outcome.Answer.class, o, "put " + i);
                        stored++;
                    } else {
                        assertInstanceOf(DhtBridge.Outcome.Refused.class, o, "one connection stores at most a source's quota");
                    }
                }
            }
            assertEquals(stored, node.itemsFromSource(Addresses.PROXIED), "every proxied put counts under the shared key");
        }
    }

    private static byte[] token(DhtBridge bridge, DhtBridge.Client client) throws Exception {
        DhtBridge.Outcome o = bridge.local(client, DhtBridge.encodeQuery(new byte[] {2}, new KrpcMessage.Get(NodeId.random(), NodeId.random(), null)));
        byte[] krpc = ((DhtBridge.Outcome.Answer) o).krpc();
        KrpcMessage.GetResponse r = (KrpcMessage.GetResponse) DhtBridge.parseAnswer(krpc, new byte[] {2}, KrpcMessage.Method.GET);
        return r.token();
    }
}
