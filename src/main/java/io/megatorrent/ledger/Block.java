package io.megatorrent.ledger;

import io.megatorrent.codec.Hex;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.crypto.Hashes;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One half-block of a ledger chain (PROTOCOL_FINAL.md 8.2), and the one place its 208 bytes are
 * written and read: the creator's key and sequence number, the counterparty's key and the
 * sequence number of the half-block it answers (0 in a proposal), the hash of the creator's
 * previous block, the interaction seen from the creator (bytes and blobs given to and taken
 * from the counterparty), and the creator's Ed25519 signature over all of that.
 */
public record Block(byte[] creator, long seq, byte[] counterparty, long counterpartySeq, byte[] previousHash,
        long bytesGiven, long blobsGiven, long bytesTaken, long blobsTaken, byte[] signature) {
    public static final int KEY_LENGTH = 32;
    public static final int HASH_LENGTH = 32;
    public static final int SIGNATURE_LENGTH = 64;
    /** The signed part: everything before the signature. */
    public static final int BODY_LENGTH = 2 * (KEY_LENGTH + 8) + HASH_LENGTH + 4 * 8;
    public static final int LENGTH = BODY_LENGTH + SIGNATURE_LENGTH;
    /** Signed before the body, so a ledger signature can never pass for another Megatorrent signature. */
    static final byte[] SIGNING_CONTEXT = "megatorrent/ledger/1".getBytes(StandardCharsets.US_ASCII);
    /** The previous hash of a chain's first block. */
    public static final byte[] GENESIS_HASH = new byte[HASH_LENGTH];

    public Block {
        creator = fixed(creator, KEY_LENGTH, "creator_key");
        counterparty = fixed(counterparty, KEY_LENGTH, "counterparty_key");
        previousHash = fixed(previousHash, HASH_LENGTH, "previous_hash");
        signature = fixed(signature, SIGNATURE_LENGTH, "signature");
        if (seq < 1) throw new LedgerException("seq", 32, "sequence numbers start at 1, got " + seq);
        if (counterpartySeq < 0) throw new LedgerException("counterparty_seq", 72, "negative");
        if (bytesGiven < 0 || blobsGiven < 0 || bytesTaken < 0 || blobsTaken < 0) throw new LedgerException("bytes_given", 112, "figures are 0..2^63-1");
        if (Arrays.equals(creator, counterparty)) throw new LedgerException("counterparty_key", 40, "a block with oneself");
    }

    private static byte[] fixed(byte[] b, int length, String field) {
        if (b == null || b.length != length) throw new LedgerException(field, 0, "must be " + length + " bytes");
        return b.clone();
    }

    /** Builds and signs a block with {@code key} (the creator's). */
    public static Block sign(Ed25519.KeyPair key, long seq, byte[] counterparty, long counterpartySeq, byte[] previousHash,
            long bytesGiven, long blobsGiven, long bytesTaken, long blobsTaken) {
        Block unsigned = new Block(key.publicKey(), seq, counterparty, counterpartySeq, previousHash,
                bytesGiven, blobsGiven, bytesTaken, blobsTaken, new byte[SIGNATURE_LENGTH]);
        byte[] sig = key.sign(unsigned.signedBytes());
        return new Block(key.publicKey(), seq, counterparty, counterpartySeq, previousHash, bytesGiven, blobsGiven, bytesTaken, blobsTaken, sig);
    }

    /** What the signature covers: the context string, then the body. */
    public byte[] signedBytes() {
        byte[] body = Arrays.copyOf(encode(), BODY_LENGTH);
        byte[] out = Arrays.copyOf(SIGNING_CONTEXT, SIGNING_CONTEXT.length + BODY_LENGTH);
        System.arraycopy(body, 0, out, SIGNING_CONTEXT.length, BODY_LENGTH);
        return out;
    }

    public boolean signatureValid() {
        return Ed25519.verify(creator, signedBytes(), signature);
    }

    /** SHA-256 of the whole encoding, signature included: what the next block names as previous. */
    public byte[] hash() {
        return Hashes.sha256(encode());
    }

    /** A proposal waits for the counterparty's half; an agreement answers one. */
    public boolean isProposal() {
        return counterpartySeq == 0;
    }

    /** Whether {@code agreement} is the countersignature of this proposal: linked to it and mirroring its figures. */
    public boolean isAnsweredBy(Block agreement) {
        return isProposal()
                && Arrays.equals(agreement.creator, counterparty) && Arrays.equals(agreement.counterparty, creator)
                && agreement.counterpartySeq == seq
                && agreement.bytesGiven == bytesTaken && agreement.blobsGiven == blobsTaken
                && agreement.bytesTaken == bytesGiven && agreement.blobsTaken == blobsGiven;
    }

    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(LENGTH);
        b.put(creator).putLong(seq).put(counterparty).putLong(counterpartySeq).put(previousHash)
                .putLong(bytesGiven).putLong(blobsGiven).putLong(bytesTaken).putLong(blobsTaken).put(signature);
        return b.array();
    }

    /** Reads exactly {@value #LENGTH} bytes; checks ranges, not the signature ({@link #signatureValid}). */
    public static Block decode(byte[] bytes) {
        if (bytes.length != LENGTH) throw new LedgerException("block", 0, "a block is " + LENGTH + " bytes, got " + bytes.length);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte[] creator = take(b, KEY_LENGTH);
        long seq = b.getLong();
        byte[] counterparty = take(b, KEY_LENGTH);
        long cseq = b.getLong();
        byte[] prev = take(b, HASH_LENGTH);
        long[] figures = new long[4];
        for (int i = 0; i < 4; i++) {
            figures[i] = b.getLong();
            if (figures[i] < 0) throw new LedgerException(FIGURE_FIELDS[i], 112 + 8 * i, "above 2^63-1");
        }
        return new Block(creator, seq, counterparty, cseq, prev, figures[0], figures[1], figures[2], figures[3], take(b, SIGNATURE_LENGTH));
    }

    private static final String[] FIGURE_FIELDS = {"bytes_given", "blobs_given", "bytes_taken", "blobs_taken"};

    private static byte[] take(ByteBuffer b, int n) {
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    @Override
    public byte[] creator() {
        return creator.clone();
    }

    @Override
    public byte[] counterparty() {
        return counterparty.clone();
    }

    @Override
    public byte[] previousHash() {
        return previousHash.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Block other && Arrays.equals(encode(), other.encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(signature);
    }

    @Override
    public String toString() {
        return "Block[" + Hex.encode(creator).substring(0, 8) + "#" + seq + " -> " + Hex.encode(counterparty).substring(0, 8) + "#" + counterpartySeq
                + " given " + bytesGiven + "/" + blobsGiven + " taken " + bytesTaken + "/" + blobsTaken + "]";
    }
}
