package io.megatorrent.dht;

/** BEP 44's checks of a put taken on their own (size, salt, signature), for conformance vectors. */
public final class StoreRules {
    private StoreRules() {}

    /** 0 when the put passes, else the KRPC error code a storing node answers. */
    public static int check(KrpcMessage.Put put) {
        try {
            ItemStore.verify(put, 0);
            return 0;
        } catch (KrpcException e) {
            return e.code();
        }
    }
}
