package io.megatorrent.node;

import io.megatorrent.content.FileEntry;
import io.megatorrent.dht.NodeId;
import io.megatorrent.transport.Message;
import java.util.HexFormat;

/**
 * The short form of a blob id (PROTOCOL_FINAL.md 6.9): the first 20 bytes of the blob's
 * SHA-256. It names the blob in MSG_REQUEST and MSG_ANNOUNCE and is the DHT infohash under
 * which holders announce it. The full 32-byte id, from a manifest or file entry, is what a
 * downloader verifies the bytes against.
 */
public final class BlobKeys {
    /** Bytes of a short id: a DHT infohash and the blob id field of the v6 messages. */
    public static final int SHORT_ID_LENGTH = Message.ID_LENGTH;
    private static final int SHORT_HEX_LENGTH = SHORT_ID_LENGTH * 2;

    private BlobKeys() {}

    /** The 20-byte short id of a blob id (64 lowercase hex digits). */
    public static byte[] shortId(String blobId) {
        return HexFormat.of().parseHex(shortHex(blobId));
    }

    /** The short id as 40 lowercase hex digits (a prefix of the blob id). */
    public static String shortHex(String blobId) {
        if (!FileEntry.isBlobId(blobId)) throw new IllegalArgumentException("not a blob id (64 lowercase hex digits): " + blobId);
        return blobId.substring(0, SHORT_HEX_LENGTH);
    }

    public static String shortHex(byte[] shortId) {
        if (shortId.length != SHORT_ID_LENGTH) throw new IllegalArgumentException("short blob id must be " + SHORT_ID_LENGTH + " bytes");
        return HexFormat.of().formatHex(shortId);
    }

    /** The DHT infohash holders of this blob announce themselves under. */
    public static NodeId infohash(String blobId) {
        return new NodeId(shortId(blobId));
    }
}
