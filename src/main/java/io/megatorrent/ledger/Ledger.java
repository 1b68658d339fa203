package io.megatorrent.ledger;

import io.megatorrent.codec.Hex;
import io.megatorrent.crypto.Ed25519;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * This node's bilateral ledger (PROTOCOL_FINAL.md 8): its own chain of half-blocks, the blocks of
 * others it has seen (the other halves of its own, and those that arrive with chains), the
 * double-sign proofs it holds, and the peers that refused to countersign. Own blocks are made
 * here, one at a time, each durable on disk before it is returned; other blocks are admitted
 * only with a valid signature and consistent with what is held (else refused, never stored).
 * Thread-safe: every method locks the ledger.
 */
public final class Ledger implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Ledger.class.getName());

    /** Blocks of others kept (208 bytes each: about 20 MiB); past it new ones are not stored, fraud proofs excepted. */
    public static final int MAX_SEEN_BLOCKS = 100_000;
    static final String FOLDER = "ledger";
    static final String CHAIN_FILE = "chain.log";
    static final String SEEN_FILE = "seen.log";
    static final byte[] SESSION_CONTEXT = "megatorrent/ledger/session".getBytes(StandardCharsets.US_ASCII);

    /** What became of a block offered to {@link #admit}. */
    public enum Admission { STORED, KNOWN, FRAUD_PROOF, REFUSED }

    private final Ed25519.KeyPair key;
    private final BlockLog chainLog;
    private final BlockLog seenLog;
    private final List<Block> chain = new ArrayList<>();
    /** Every block held, own included, by creator (hex) then sequence. */
    private final Map<String, TreeMap<Long, Block>> byCreator = new HashMap<>();
    /** Agreements by the proposal they answer: "creatorhex#seq". */
    private final Map<String, Block> agreementFor = new HashMap<>();
    /** Double-sign proofs: two different blocks signed by the creator at one sequence number. */
    private final Map<String, Block[]> frauds = new LinkedHashMap<>();
    private final Map<String, Integer> refusals = new HashMap<>();
    private int seenCount;
    private long version;
    private TrustGraph graph;
    private long graphVersion = -1;
    /** Scores computed over the current graph (cleared when it changes): a busy seeder asks for one per upload. */
    private final Map<String, Long> scoreCache = new HashMap<>();
    private final List<Consumer<Block[]>> fraudListeners = new CopyOnWriteArrayList<>();

    /** Counters, for reports and tests. */
    public final AtomicLong blocksRefused = new AtomicLong();

    private Ledger(Ed25519.KeyPair key, BlockLog chainLog, BlockLog seenLog) {
        this.key = key;
        this.chainLog = chainLog;
        this.seenLog = seenLog;
    }

    /** Opens the ledger of the data folder (key {@value LedgerKey#FILE_NAME}, blocks under {@value #FOLDER}/), verifying its chain from the first block. */
    public static Ledger open(Path dataDir) throws IOException {
        Ed25519.KeyPair key = LedgerKey.loadOrCreate(dataDir);
        Path folder = dataDir.resolve(FOLDER);
        List<Block> own = new ArrayList<>();
        List<Block> seen = new ArrayList<>();
        BlockLog chainLog = BlockLog.open(folder.resolve(CHAIN_FILE), own);
        BlockLog seenLog;
        try {
            seenLog = BlockLog.open(folder.resolve(SEEN_FILE), seen);
        } catch (IOException | RuntimeException e) {
            chainLog.close();
            throw e;
        }
        Ledger l = new Ledger(key, chainLog, seenLog);
        try {
            verifyChain(own, key.publicKey());
        } catch (LedgerException e) {
            l.close();
            throw new IOException(folder.resolve(CHAIN_FILE) + " does not verify from its first block: " + e.getMessage());
        }
        synchronized (l) {
            for (Block b : own) l.index(b);
            l.chain.addAll(own);
            for (Block b : seen) {
                if (l.admitLocked(b, false) == Admission.REFUSED) LOG.log(Level.WARNING, "stored block {0} no longer fits; ignored", b);
            }
        }
        return l;
    }

    /**
     * A read-only copy of the data folder's ledger, in memory, for reports: nothing is created or
     * repaired (a running node may be appending). Null if the folder has no ledger key.
     */
    public static Ledger snapshot(Path dataDir) throws IOException {
        if (!java.nio.file.Files.exists(dataDir.resolve(LedgerKey.FILE_NAME))) return null;
        Ed25519.KeyPair key = LedgerKey.loadOrCreate(dataDir);
        Path folder = dataDir.resolve(FOLDER);
        List<Block> own = BlockLog.read(folder.resolve(CHAIN_FILE));
        verifyChain(own, key.publicKey());
        Ledger l = new Ledger(key, null, null);
        synchronized (l) {
            for (Block b : own) l.index(b);
            l.chain.addAll(own);
            for (Block b : BlockLog.read(folder.resolve(SEEN_FILE))) l.admitLocked(b, false);
        }
        return l;
    }

    /** A ledger kept only in memory under a fresh key: a new identity per session (safe mode's option). */
    public static Ledger ephemeral() {
        return new Ledger(Ed25519.generate(), null, null);
    }

    /** A ledger in memory under a given key: tests and vector generation. */
    static Ledger inMemory(Ed25519.KeyPair key) {
        return new Ledger(key, null, null);
    }

    public byte[] publicKey() {
        return key.publicKey();
    }

    /** Signature binding this ledger key to one Noise session (its handshake hash): PROTOCOL_FINAL.md 8.3. */
    public byte[] sessionProof(byte[] handshakeHash) {
        return key.sign(sessionMessage(handshakeHash));
    }

    public static boolean sessionProofValid(byte[] ledgerKey, byte[] handshakeHash, byte[] proof) {
        return Ed25519.verify(ledgerKey, sessionMessage(handshakeHash), proof);
    }

    private static byte[] sessionMessage(byte[] handshakeHash) {
        byte[] m = Arrays.copyOf(SESSION_CONTEXT, SESSION_CONTEXT.length + handshakeHash.length);
        System.arraycopy(handshakeHash, 0, m, SESSION_CONTEXT.length, handshakeHash.length);
        return m;
    }

    // ------------------------------------------------------------ own blocks

    /** Signs and stores a proposal: we gave {@code bytes} in {@code blobs} blobs to {@code counterparty}. */
    public synchronized Block propose(byte[] counterparty, long bytes, long blobs) throws IOException {
        if (isFraud(counterparty)) throw new LedgerException("counterparty_key", 40, "holds a double-sign proof: no dealings");
        return appendOwn(Block.sign(key, chain.size() + 1L, counterparty, 0, headHash(), bytes, blobs, 0, 0));
    }

    /**
     * Countersigns {@code proposal} (already checked by the caller against what was received): stores
     * it, then signs and stores our agreement mirroring its figures.
     */
    public synchronized Block agree(Block proposal) throws IOException {
        if (!proposal.isProposal()) throw new LedgerException("counterparty_seq", 72, "not a proposal");
        if (!Arrays.equals(proposal.counterparty(), key.publicKey())) throw new LedgerException("counterparty_key", 40, "proposal is not addressed to this ledger");
        if (isFraud(proposal.creator())) throw new LedgerException("creator_key", 0, "holds a double-sign proof: no dealings");
        if (agreementFor.containsKey(pairKey(proposal))) throw new LedgerException("seq", 32, "proposal already countersigned");
        Admission a = admitLocked(proposal, true);
        if (a == Admission.REFUSED || a == Admission.FRAUD_PROOF) throw new LedgerException("block", 0, "proposal refused (" + a + ")");
        return appendOwn(Block.sign(key, chain.size() + 1L, proposal.creator(), proposal.seq(), headHash(),
                proposal.bytesTaken(), proposal.blobsTaken(), proposal.bytesGiven(), proposal.blobsGiven()));
    }

    /** Takes the counterparty's answer to one of our proposals; false (and nothing stored) unless it countersigns it. */
    public synchronized boolean agreed(Block agreement) throws IOException {
        long s = agreement.counterpartySeq();
        if (!Arrays.equals(agreement.counterparty(), key.publicKey()) || s < 1 || s > chain.size()) return false;
        if (!chain.get((int) (s - 1)).isAnsweredBy(agreement)) return false;
        Admission a = admitLocked(agreement, true);
        return a == Admission.STORED || a == Admission.KNOWN;
    }

    private Block appendOwn(Block b) throws IOException {
        if (chainLog != null) chainLog.append(b, true);
        chain.add(b);
        index(b);
        version++;
        return b;
    }

    private byte[] headHash() {
        return chain.isEmpty() ? Block.GENESIS_HASH : chain.get(chain.size() - 1).hash();
    }

    // ------------------------------------------------------------ blocks of others

    /** Offers a block received from a peer: stored if it verifies and fits, kept as a proof if it forks its creator's chain. */
    public synchronized Admission admit(Block b) throws IOException {
        return admitLocked(b, true);
    }

    private Admission admitLocked(Block b, boolean persist) throws IOException {
        if (!b.signatureValid()) return refuse(b, "bad signature");
        String creator = Hex.encode(b.creator());
        TreeMap<Long, Block> held = byCreator.get(creator);
        Block same = held == null ? null : held.get(b.seq());
        if (same != null) {
            if (same.equals(b)) return Admission.KNOWN;
            if (Arrays.equals(b.creator(), key.publicKey())) return refuse(b, "a second block under our own key");
            return fraud(creator, same, b, persist);
        }
        if (Arrays.equals(b.creator(), key.publicKey())) return refuse(b, "a block under our own key that we never signed");
        if (held != null) {
            Block before = held.get(b.seq() - 1);
            if (before != null && !Arrays.equals(before.hash(), b.previousHash())) return refuse(b, "previous_hash does not match the block before it");
            Block after = held.get(b.seq() + 1);
            if (after != null && !Arrays.equals(b.hash(), after.previousHash())) return refuse(b, "the next block held does not name it as previous");
        } else if (b.seq() == 1 && !Arrays.equals(b.previousHash(), Block.GENESIS_HASH)) {
            return refuse(b, "first block's previous_hash is not zero");
        }
        if (seenCount >= MAX_SEEN_BLOCKS) return Admission.REFUSED;
        // others' blocks are not forced one by one (a peer sends up to 128 at once): a crash may
        // lose the last few, which their chains can give again; own blocks and proofs are forced
        if (persist && seenLog != null) seenLog.append(b, false);
        seenCount++;
        index(b);
        version++;
        return Admission.STORED;
    }

    private Admission refuse(Block b, String why) {
        blocksRefused.incrementAndGet();
        LOG.log(Level.DEBUG, "refused {0}: {1}", b, why);
        return Admission.REFUSED;
    }

    private Admission fraud(String creator, Block first, Block second, boolean persist) throws IOException {
        if (!frauds.containsKey(creator)) {
            // both blocks are kept: they are the proof, and it must survive a restart
            if (persist && seenLog != null) seenLog.append(second, true);
            Block[] proof = {first, second};
            frauds.put(creator, proof);
            version++;
            LOG.log(Level.INFO, "ledger key {0} signed two blocks at sequence {1}: refused from now on", creator, first.seq());
            // listeners send on connections: never while holding the ledger's lock
            List<Consumer<Block[]>> listeners = List.copyOf(fraudListeners);
            Thread.ofVirtual().name("ledger-fraud-push").start(() -> listeners.forEach(l -> l.accept(proof.clone())));
        }
        return Admission.FRAUD_PROOF;
    }

    private void index(Block b) {
        byCreator.computeIfAbsent(Hex.encode(b.creator()), k -> new TreeMap<>()).put(b.seq(), b);
        if (!b.isProposal()) agreementFor.putIfAbsent(Hex.encode(b.counterparty()) + "#" + b.counterpartySeq(), b);
    }

    private static String pairKey(Block proposal) {
        return Hex.encode(proposal.creator()) + "#" + proposal.seq();
    }

    /** Called with each new double-sign proof (two blocks), on a thread of its own. */
    public void onFraud(Consumer<Block[]> listener) {
        fraudListeners.add(listener);
    }

    public void removeFraudListener(Consumer<Block[]> listener) {
        fraudListeners.remove(listener);
    }

    public synchronized boolean isFraud(byte[] ledgerKey) {
        return frauds.containsKey(Hex.encode(ledgerKey));
    }

    /** The two blocks proving that {@code ledgerKey} double-signed, or null. */
    public synchronized List<Block> fraudProof(byte[] ledgerKey) {
        Block[] p = frauds.get(Hex.encode(ledgerKey));
        return p == null ? null : List.of(p);
    }

    public synchronized List<List<Block>> fraudProofs() {
        return frauds.values().stream().map(List::of).toList();
    }

    // ------------------------------------------------------------ refusals

    /** The peer did not countersign a proposal of ours. */
    public synchronized void refusedBy(byte[] ledgerKey) {
        refusals.merge(Hex.encode(ledgerKey), 1, Integer::sum);
    }

    /** The peer countersigned: one refusal forgiven. */
    public synchronized void countersignedBy(byte[] ledgerKey) {
        refusals.computeIfPresent(Hex.encode(ledgerKey), (k, n) -> n <= 1 ? null : n - 1);
    }

    public synchronized boolean isRefuser(byte[] ledgerKey) {
        return refusals.containsKey(Hex.encode(ledgerKey));
    }

    // ------------------------------------------------------------ reading

    /** Our chain, first block first. */
    public synchronized List<Block> chain() {
        return List.copyOf(chain);
    }

    /** The blocks held of {@code creator} with sequence numbers from {@code fromSeq}, ascending. */
    public synchronized List<Block> blocksOf(byte[] creator, long fromSeq, int max) {
        TreeMap<Long, Block> held = byCreator.get(Hex.encode(creator));
        if (held == null) return List.of();
        return held.tailMap(fromSeq, true).values().stream().limit(max).toList();
    }

    /** The highest sequence number held of {@code creator}, 0 if none. */
    public synchronized long headOf(byte[] creator) {
        TreeMap<Long, Block> held = byCreator.get(Hex.encode(creator));
        return held == null || held.isEmpty() ? 0 : held.lastKey();
    }

    /** The other half of a pair: the agreement of a proposal, or the proposal an agreement answers; null if not held. */
    public synchronized Block otherHalf(Block b) {
        if (b.isProposal()) return agreementFor.get(pairKey(b));
        TreeMap<Long, Block> held = byCreator.get(Hex.encode(b.counterparty()));
        return held == null ? null : held.get(b.counterpartySeq());
    }

    /** Whether both parties signed: a proposal whose agreement is held, or an agreement (it names a signed proposal). */
    public synchronized boolean isCountersigned(Block b) {
        Block other = otherHalf(b);
        if (other == null) return false;
        return b.isProposal() ? b.isAnsweredBy(other) : other.isAnsweredBy(b);
    }

    /** Bytes we gave minus bytes we took, over our countersigned blocks. */
    public synchronized long balance() {
        long sum = 0;
        for (Block b : chain) if (isCountersigned(b)) sum += b.bytesGiven() - b.bytesTaken();
        return sum;
    }

    /** Bytes given (positive) or taken (negative) per counterparty over our countersigned blocks: the sum of each pair's figures. */
    public synchronized Map<String, long[]> totalsByCounterparty() {
        Map<String, long[]> out = new TreeMap<>();
        for (Block b : chain) {
            if (!isCountersigned(b)) continue;
            long[] t = out.computeIfAbsent(Hex.encode(b.counterparty()), k -> new long[4]);
            t[0] += b.bytesGiven();
            t[1] += b.blobsGiven();
            t[2] += b.bytesTaken();
            t[3] += b.blobsTaken();
        }
        return out;
    }

    /**
     * Trust in {@code peer} from this node's point of view: the maximum flow of countersigned
     * bytes from the peer to us over the interaction graph held (PROTOCOL_FINAL.md 8.6). 0 for
     * ourselves' strangers and for a key with a double-sign proof.
     */
    public synchronized long score(byte[] peer) {
        if (isFraud(peer) || Arrays.equals(peer, key.publicKey())) return 0;
        TrustGraph g = graph();
        return scoreCache.computeIfAbsent(Hex.encode(peer), k -> g.maxFlow(k, Hex.encode(key.publicKey())));
    }

    /** Every key in the interaction graph held, but ours, with its score. */
    public synchronized Map<String, Long> scores() {
        Map<String, Long> out = new TreeMap<>();
        String self = Hex.encode(key.publicKey());
        for (String k : graph().nodes()) if (!k.equals(self)) out.put(k, graph().maxFlow(k, self));
        return out;
    }

    private TrustGraph graph() {
        if (graphVersion != version) {
            List<Block> all = new ArrayList<>();
            byCreator.forEach((creator, blocks) -> {
                if (!frauds.containsKey(creator)) all.addAll(blocks.values());
            });
            graph = graphOf(all);
            graphVersion = version;
            scoreCache.clear();
        }
        return graph;
    }

    /** The interaction graph of the countersigned pairs among {@code blocks} (8.6). */
    static TrustGraph graphOf(List<Block> blocks) {
        Map<String, Block> agreements = new HashMap<>();
        for (Block b : blocks) if (!b.isProposal()) agreements.putIfAbsent(Hex.encode(b.counterparty()) + "#" + b.counterpartySeq(), b);
        TrustGraph g = new TrustGraph();
        for (Block p : blocks) {
            if (!p.isProposal()) continue;
            Block a = agreements.get(pairKey(p));
            if (a == null || !p.isAnsweredBy(a)) continue;
            String from = Hex.encode(p.creator());
            String to = Hex.encode(p.counterparty());
            g.gave(from, to, p.bytesGiven());
            g.gave(to, from, p.bytesTaken());
        }
        return g;
    }

    /**
     * Scores from {@code self}'s point of view over the countersigned pairs among {@code blocks}
     * (signatures checked by the caller): each key of the graph but self, with its maximum flow
     * to self. For vectors and other implementations' checks; a node uses {@link #scores()}.
     */
    public static Map<String, Long> scoresOver(byte[] self, List<Block> blocks) {
        TrustGraph g = graphOf(blocks);
        String me = Hex.encode(self);
        Map<String, Long> out = new TreeMap<>();
        for (String k : g.nodes()) if (!k.equals(me)) out.put(k, g.maxFlow(k, me));
        return out;
    }

    /** {@code self}'s balance over the blocks given: given minus taken over its countersigned blocks among them (8.6). */
    public static long balanceOver(byte[] self, List<Block> blocks) {
        Map<String, Block> byKey = new HashMap<>();
        for (Block b : blocks) byKey.put(Hex.encode(b.creator()) + "#" + b.seq(), b);
        long sum = 0;
        for (Block b : blocks) {
            if (!Arrays.equals(b.creator(), self)) continue;
            boolean countersigned;
            if (b.isProposal()) {
                countersigned = blocks.stream().anyMatch(b::isAnsweredBy);
            } else {
                Block p = byKey.get(Hex.encode(b.counterparty()) + "#" + b.counterpartySeq());
                countersigned = p != null && p.isAnsweredBy(b);
            }
            if (countersigned) sum += b.bytesGiven() - b.bytesTaken();
        }
        return sum;
    }

    /**
     * Checks a chain from its first block: sequence numbers 1, 2, 3, ..., each block's previous
     * hash the hash of the one before (zeros for the first), one creator, every signature valid.
     */
    public static void verifyChain(List<Block> blocks, byte[] creator) {
        byte[] prev = Block.GENESIS_HASH;
        for (int i = 0; i < blocks.size(); i++) {
            Block b = blocks.get(i);
            if (!Arrays.equals(b.creator(), creator)) throw new LedgerException("creator_key", 0, "block " + (i + 1) + " has another creator");
            if (b.seq() != i + 1) throw new LedgerException("seq", 32, "block " + (i + 1) + " has sequence " + b.seq());
            if (!Arrays.equals(b.previousHash(), prev)) throw new LedgerException("previous_hash", 80, "block " + (i + 1) + " does not follow the block before it");
            if (!b.signatureValid()) throw new LedgerException("signature", 144, "block " + (i + 1) + " is not signed by its creator");
            prev = b.hash();
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (chainLog != null) chainLog.close();
        } finally {
            if (seenLog != null) seenLog.close();
        }
    }
}
