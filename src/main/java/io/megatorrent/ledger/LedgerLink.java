package io.megatorrent.ledger;

import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Message;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The ledger's side of one connection (PROTOCOL_FINAL.md 8.3-8.5): introduces our ledger key
 * bound to the Noise session, learns the peer's, takes the blocks it sends, answers its chain
 * requests, and, as a seeder, proposes a block for each {@link #SHARE_BYTES} served and at the
 * end of a transfer; as a receiver, countersigns only figures it received on this connection.
 * The owner (blob server or fetcher) feeds it every message first ({@link #handle}) and tells
 * it what moved ({@link #served}, {@link #received}).
 */
public final class LedgerLink implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LedgerLink.class.getName());

    /** A seeder proposes a block after serving this much to one peer. */
    public static final long SHARE_BYTES = 64L << 20;
    /** Own newest blocks sent in an introduction (each with its other half). */
    static final int INTRO_BLOCKS = 16;
    /** Fraud proofs sent in an introduction. */
    static final int INTRO_PROOFS = 16;
    /** Blocks one connection may offer us in all (introduction, pushes, answers); past it they are ignored. */
    static final int MAX_BLOCKS_PER_CONNECTION = 4096;
    /** Blocks asked for at once when a peer's chain has gaps here. */
    static final int FETCH_BLOCKS = 64;
    /** A proposal unanswered this long (or unanswered at close after this long) counts as refused. */
    static final long AGREE_TIMEOUT_NANOS = 30_000_000_000L;
    static final long AGREE_GRACE_NANOS = 5_000_000_000L;

    private record Pending(Block block, long sentAt) {}

    private final Ledger ledger;
    private final Connection connection;
    private final Consumer<Block[]> pushProof = this::push;
    private volatile byte[] peerKey;
    private final Map<Integer, Pending> outstanding = new ConcurrentHashMap<>();
    private long unproposedBytes;
    private long unproposedBlobs;
    private long receivedBytes;
    private long receivedBlobs;
    private long countersignedBytes;
    private long countersignedBlobs;
    private int blocksOffered;

    /** Counters, for reports and tests. */
    public final AtomicLong blocksRefused = new AtomicLong();
    public final AtomicLong proposalsSent = new AtomicLong();
    public final AtomicLong proposalsCountersigned = new AtomicLong();
    public final AtomicLong proposalsRefused = new AtomicLong();

    public LedgerLink(Ledger ledger, Connection connection) {
        this.ledger = ledger;
        this.connection = connection;
    }

    /** The peer's ledger key, once it introduced it with a valid session proof; else null. */
    public byte[] peerKey() {
        byte[] k = peerKey;
        return k == null ? null : k.clone();
    }

    public boolean peerIsFraud() {
        byte[] k = peerKey;
        return k != null && ledger.isFraud(k);
    }

    /** Sends our introduction: key, session proof, newest blocks with their other halves, fraud proofs held. */
    public void introduce() throws IOException {
        ledger.onFraud(pushProof);
        List<byte[]> blocks = new ArrayList<>();
        List<Block> chain = ledger.chain();
        for (Block b : chain.subList(Math.max(0, chain.size() - INTRO_BLOCKS), chain.size())) {
            blocks.add(b.encode());
            Block other = ledger.otherHalf(b);
            if (other != null) blocks.add(other.encode());
        }
        for (List<Block> proof : ledger.fraudProofs().stream().limit(INTRO_PROOFS).toList()) {
            for (Block b : proof) blocks.add(b.encode());
        }
        connection.send(new Message.LedgerChain(0, ledger.publicKey(), ledger.sessionProof(connection.handshakeHash()),
                blocks.subList(0, Math.min(blocks.size(), Message.MAX_LEDGER_BLOCKS))));
    }

    /** Handles {@code m} if it is the ledger's; false if it is not (the owner handles it). */
    public boolean handle(Message m) throws IOException {
        switch (m) {
            case Message.LedgerChain c -> onChain(c);
            case Message.LedgerPropose p -> onPropose(p);
            case Message.LedgerAgree a -> onAgree(a);
            case Message.LedgerGetChain g -> connection.send(new Message.LedgerChain(g.requestId(), g.publicKey(), null, chainAnswer(g)));
            case Message.Error e when e.requestId() != 0 && outstanding.containsKey(e.requestId()) -> {
                outstanding.remove(e.requestId());
                refused("answered error " + e.code() + ": " + e.text());
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** Answers a ledger request on a connection whose node keeps no ledger (safe mode); false for other messages. */
    public static boolean refuseWithoutLedger(Connection connection, Message m) throws IOException {
        if (m instanceof Message.LedgerPropose || m instanceof Message.LedgerGetChain) {
            connection.send(new Message.Error(m.requestId(), Message.Error.REFUSED, "this node keeps no ledger"));
            return true;
        }
        return m instanceof Message.LedgerChain || m instanceof Message.LedgerAgree;
    }

    private void onChain(Message.LedgerChain c) throws IOException {
        byte[] key = c.publicKey();
        boolean intro = c.sessionProof() != null;
        if (intro) {
            if (peerKey == null && Ledger.sessionProofValid(key, connection.handshakeHash(), c.sessionProof())) {
                peerKey = key;
            } else {
                LOG.log(Level.DEBUG, "{0}: ledger introduction ignored (bad session proof, or a second one)", connection.peer());
                intro = false;
            }
        }
        synchronized (this) {
            blocksOffered += c.blocks().size();
            if (blocksOffered > MAX_BLOCKS_PER_CONNECTION) {
                LOG.log(Level.DEBUG, "{0}: over {1} ledger blocks on this connection; ignored", connection.peer(), MAX_BLOCKS_PER_CONNECTION);
                return;
            }
        }
        long highest = 0;
        for (byte[] raw : c.blocks()) {
            Block b;
            try {
                b = Block.decode(raw);
            } catch (LedgerException e) {
                blocksRefused.incrementAndGet();
                continue;
            }
            if (ledger.admit(b) == Ledger.Admission.REFUSED) blocksRefused.incrementAndGet();
            if (Arrays.equals(b.creator(), key)) highest = Math.max(highest, b.seq());
        }
        if (intro && highest > 0) {
            long missing = firstMissing(key, highest);
            if (missing > 0) {
                connection.send(new Message.LedgerGetChain(connection.nextRequestId(), key, missing, FETCH_BLOCKS));
            }
        }
    }

    /** The lowest sequence number of {@code key} below {@code highest} not held, or 0. */
    private long firstMissing(byte[] key, long highest) {
        long expect = 1;
        for (Block b : ledger.blocksOf(key, 1, (int) Math.min(highest, Integer.MAX_VALUE))) {
            if (b.seq() != expect) return expect;
            expect++;
        }
        return expect < highest ? expect : 0;
    }

    private List<byte[]> chainAnswer(Message.LedgerGetChain g) {
        List<byte[]> out = new ArrayList<>();
        List<Block> proof = ledger.fraudProof(g.publicKey());
        if (proof != null) for (Block b : proof) out.add(b.encode());
        int max = Math.min(g.maxCount(), Message.MAX_LEDGER_BLOCKS / 2);
        for (Block b : ledger.blocksOf(g.publicKey(), g.fromSeq(), max)) {
            if (out.size() >= Message.MAX_LEDGER_BLOCKS) break;
            out.add(b.encode());
            Block other = ledger.otherHalf(b);
            if (other != null && out.size() < Message.MAX_LEDGER_BLOCKS) out.add(other.encode());
        }
        return out;
    }

    // ------------------------------------------------------------ receiver

    /** We received a blob of {@code bytes} on this connection, answering one of our requests. */
    public synchronized void received(long bytes) {
        receivedBytes += bytes;
        receivedBlobs++;
    }

    private void onPropose(Message.LedgerPropose p) throws IOException {
        String refusal;
        Block agreement = null;
        try {
            Block b = Block.decode(p.block());
            refusal = check(b);
            if (refusal == null) {
                synchronized (this) {
                    refusal = figureCheck(b);
                    if (refusal == null) {
                        agreement = ledger.agree(b);
                        countersignedBytes += b.bytesGiven();
                        countersignedBlobs += b.blobsGiven();
                    }
                }
            }
        } catch (LedgerException e) {
            blocksRefused.incrementAndGet();
            refusal = e.getMessage();
        }
        if (agreement != null) {
            connection.send(new Message.LedgerAgree(p.requestId(), agreement.encode()));
        } else {
            LOG.log(Level.DEBUG, "{0}: proposal refused: {1}", connection.peer(), refusal);
            connection.send(new Message.Error(p.requestId(), Message.Error.REFUSED, "proposal refused: " + refusal));
        }
    }

    private String check(Block b) {
        byte[] k = peerKey;
        if (k == null || !Arrays.equals(b.creator(), k)) return "creator_key is not the ledger key introduced on this connection";
        if (!b.isProposal()) return "counterparty_seq must be 0 in a proposal";
        if (!Arrays.equals(b.counterparty(), ledger.publicKey())) return "counterparty_key is not ours";
        if (!b.signatureValid()) {
            blocksRefused.incrementAndGet();
            return "signature does not verify";
        }
        return null;
    }

    private String figureCheck(Block b) {
        if (b.bytesTaken() != 0 || b.blobsTaken() != 0) return "bytes_taken: we gave nothing on this connection";
        if (b.bytesGiven() == 0 || b.blobsGiven() == 0) return "bytes_given: a proposal for nothing";
        if (b.bytesGiven() > receivedBytes - countersignedBytes) {
            return "bytes_given " + b.bytesGiven() + " exceeds the " + (receivedBytes - countersignedBytes) + " bytes received and not yet countersigned";
        }
        if (b.blobsGiven() > receivedBlobs - countersignedBlobs) {
            return "blobs_given " + b.blobsGiven() + " exceeds the " + (receivedBlobs - countersignedBlobs) + " blobs received and not yet countersigned";
        }
        return null;
    }

    /** Bytes received on this connection, and those countersigned so far. */
    public synchronized long[] receivedAndCountersigned() {
        return new long[] {receivedBytes, countersignedBytes};
    }

    // ------------------------------------------------------------ seeder

    /** We sent a blob of {@code bytes} to the peer; proposes once a share is due. */
    public void served(long bytes) throws IOException {
        boolean due;
        synchronized (this) {
            unproposedBytes += bytes;
            unproposedBlobs++;
            due = unproposedBytes >= SHARE_BYTES;
        }
        expire();
        if (due) propose();
    }

    /** The transfer paused or ended: proposes what was served and not yet proposed. */
    public void endOfTransfer() throws IOException {
        propose();
    }

    private void propose() throws IOException {
        byte[] k = peerKey;
        if (k == null || ledger.isFraud(k)) return; // a peer without a ledger (or a fraudster) signs nothing
        Block block;
        synchronized (this) {
            if (unproposedBytes == 0) return;
            block = ledger.propose(k, unproposedBytes, unproposedBlobs);
            unproposedBytes = 0;
            unproposedBlobs = 0;
        }
        int id = connection.nextRequestId();
        outstanding.put(id, new Pending(block, System.nanoTime()));
        proposalsSent.incrementAndGet();
        connection.send(new Message.LedgerPropose(id, block.encode()));
    }

    private void onAgree(Message.LedgerAgree a) throws IOException {
        Pending p = outstanding.remove(a.requestId());
        if (p == null) return; // not ours, or late: the proposal was already counted as refused
        Block b;
        try {
            b = Block.decode(a.block());
        } catch (LedgerException e) {
            blocksRefused.incrementAndGet();
            refused("agreement malformed: " + e.getMessage());
            return;
        }
        if (p.block().isAnsweredBy(b) && ledger.agreed(b)) {
            proposalsCountersigned.incrementAndGet();
            ledger.countersignedBy(b.creator());
        } else {
            blocksRefused.incrementAndGet();
            refused("agreement does not countersign our proposal");
        }
    }

    private void refused(String why) {
        proposalsRefused.incrementAndGet();
        byte[] k = peerKey;
        if (k != null) ledger.refusedBy(k);
        LOG.log(Level.DEBUG, "{0} did not countersign: {1}", connection.peer(), why);
    }

    /** Counts proposals unanswered for too long as refused. */
    private void expire() {
        long now = System.nanoTime();
        outstanding.entrySet().removeIf(e -> {
            if (now - e.getValue().sentAt() < AGREE_TIMEOUT_NANOS) return false;
            refused("no answer in " + AGREE_TIMEOUT_NANOS / 1_000_000_000L + " s");
            return true;
        });
    }

    private void push(Block[] proof) {
        try {
            connection.send(new Message.LedgerChain(0, proof[0].creator(), null, List.of(proof[0].encode(), proof[1].encode())));
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "fraud proof not sent to {0}: {1}", connection.peer(), e.getMessage());
        }
    }

    /** Stops pushing proofs; proposals left unanswered long enough count as refused. */
    @Override
    public void close() {
        ledger.removeFraudListener(pushProof);
        long now = System.nanoTime();
        for (Pending p : outstanding.values()) {
            if (now - p.sentAt() >= AGREE_GRACE_NANOS) refused("connection closed with the proposal unanswered");
        }
        outstanding.clear();
    }
}
