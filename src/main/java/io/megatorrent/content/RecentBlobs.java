package io.megatorrent.content;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The last blobs a download stored, kept in memory so the reassembly that follows the download
 * reads them from here rather than from the disk their O_DIRECT write went to; each is handed
 * out once. At most {@link #CAPACITY} blobs (the oldest go first); the arrays are the verified
 * blobs the store was given, which nobody changes afterwards.
 */
final class RecentBlobs {
    /**
     * At most 32 MiB of heap. A download has up to 32 blobs in flight, so they arrive out of
     * order within about that window: with 16 its reassembly found 83% of its blobs here, with
     * 32 97% (1 GiB, loopback). A miss only costs a read from the disk.
     */
    static final int CAPACITY = 32;

    private final Map<String, byte[]> blobs = new LinkedHashMap<>(CAPACITY * 2, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
            return size() > CAPACITY;
        }
    };

    synchronized void put(String id, byte[] blob) {
        blobs.put(id, blob);
    }

    /** Copies blob {@code id} into {@code into} and forgets it; false when it is not held. */
    boolean copy(String id, byte[] into) {
        byte[] blob;
        synchronized (this) {
            blob = blobs.remove(id);
        }
        if (blob == null) return false;
        System.arraycopy(blob, 0, into, 0, Blob.BLOB_SIZE);
        return true;
    }

    synchronized void forget(String id) {
        blobs.remove(id);
    }
}
