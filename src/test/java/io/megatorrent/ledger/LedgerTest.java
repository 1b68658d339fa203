package io.megatorrent.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Hex;
import io.megatorrent.crypto.Ed25519;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ledger alone: blocks, admission, forgery, double-signing, persistence, trust. */
class LedgerTest {
    static final long MIB = 1 << 20;

    /** {@code giver} proposes, {@code taker} countersigns, {@code giver} stores the agreement. */
    static Block[] transfer(Ledger giver, Ledger taker, long bytes) throws IOException {
        Block p = giver.propose(taker.publicKey(), bytes, Math.max(1, bytes / MIB));
        Block a = taker.agree(p);
        assertTrue(giver.agreed(a), "agreement stored");
        return new Block[] {p, a};
    }

    @Test
    void proposalAndAgreementMakeACountersignedPairAndBalancesMirror() throws Exception {
        Ledger a = Ledger.ephemeral();
        Ledger b = Ledger.ephemeral();
        Block[] pair = transfer(a, b, 10 * MIB);
        assertTrue(pair[0].isAnsweredBy(pair[1]));
        assertTrue(a.isCountersigned(pair[0]));
        assertTrue(b.isCountersigned(pair[1]));
        assertEquals(10 * MIB, a.balance());
        assertEquals(-10 * MIB, b.balance());
        Block unanswered = a.propose(b.publicKey(), 5 * MIB, 5);
        assertFalse(a.isCountersigned(unanswered));
        assertEquals(10 * MIB, a.balance(), "a proposal not countersigned does not count");
        assertEquals(0, a.score(b.publicKey()), "b took, it gave nothing");
        assertEquals(10 * MIB, b.score(a.publicKey()), "a gave b 10 MiB");
        Ledger.verifyChain(a.chain(), a.publicKey());
        Ledger.verifyChain(b.chain(), b.publicKey());
    }

    @Test
    void forgedBlocksAreRefused() throws Exception {
        Ed25519.KeyPair aKey = Ed25519.generate();
        Ledger a = Ledger.inMemory(aKey);
        Ledger b = Ledger.ephemeral();
        Ledger observer = Ledger.ephemeral();
        transfer(a, b, 3 * MIB);
        transfer(a, b, 4 * MIB);
        List<Block> chain = a.chain();

        byte[] changedFigure = chain.get(1).encode();
        ByteBuffer.wrap(changedFigure).putLong(112, 400 * MIB);
        assertEquals(Ledger.Admission.REFUSED, observer.admit(Block.decode(changedFigure)), "changed figure");

        byte[] badSignature = chain.get(1).encode();
        badSignature[Block.BODY_LENGTH + 3] ^= 0x40;
        assertEquals(Ledger.Admission.REFUSED, observer.admit(Block.decode(badSignature)), "bad signature");

        byte[] forgedByOther = chain.get(1).encode();
        Ed25519.KeyPair mallory = Ed25519.generate();
        Block resigned = Block.decode(forgedByOther);
        Block byMallory = Block.sign(mallory, resigned.seq(), resigned.counterparty(), 0, resigned.previousHash(), 400 * MIB, 400, 0, 0);
        byte[] claimed = byMallory.encode();
        System.arraycopy(a.publicKey(), 0, claimed, 0, 32); // claims to be a's block
        assertEquals(Ledger.Admission.REFUSED, observer.admit(Block.decode(claimed)), "signed by another key");

        assertEquals(Ledger.Admission.STORED, observer.admit(chain.get(0)));
        assertEquals(Ledger.Admission.KNOWN, observer.admit(chain.get(0)));
        // The real key holder signs a block 2 that does not follow block 1: refused, not stored.
        Block wrongPrevious = Block.sign(aKey, 2, b.publicKey(), 0, new byte[32], 4 * MIB, 4, 0, 0);
        assertEquals(Ledger.Admission.REFUSED, observer.admit(wrongPrevious), "wrong previous hash");
        assertEquals(Ledger.Admission.STORED, observer.admit(chain.get(1)));
        assertEquals(4, observer.blocksRefused.get());
        assertEquals(List.of(chain.get(0), chain.get(1)), observer.blocksOf(a.publicKey(), 1, 10));

        List<Block> tampered = new ArrayList<>(chain);
        tampered.set(1, Block.decode(changedFigure));
        LedgerException e = assertThrows(LedgerException.class, () -> Ledger.verifyChain(tampered, a.publicKey()));
        assertEquals("signature", e.field());
        assertThrows(LedgerException.class, () -> Ledger.verifyChain(List.of(chain.get(0), wrongPrevious), a.publicKey()));
    }

    @Test
    void aDoubleSignIsCaughtAndTheFraudsterRefused() throws Exception {
        Ed25519.KeyPair fKey = Ed25519.generate();
        Ledger f1 = Ledger.inMemory(fKey);
        Ledger f2 = Ledger.inMemory(fKey); // the same identity with a second, separate chain
        Ledger a = Ledger.ephemeral();
        Ledger b = Ledger.ephemeral();
        Ledger c = Ledger.ephemeral();
        Block[] withA = transfer(f1, a, 5 * MIB);
        Block[] withB = transfer(f2, b, 7 * MIB);
        assertEquals(withA[0].seq(), withB[0].seq());
        List<Block[]> seen = new CopyOnWriteArrayList<>();
        c.onFraud(seen::add);
        assertEquals(Ledger.Admission.STORED, c.admit(withA[0]));
        assertEquals(Ledger.Admission.FRAUD_PROOF, c.admit(withB[0]));
        assertTrue(c.isFraud(fKey.publicKey()));
        List<Block> proof = c.fraudProof(fKey.publicKey());
        assertEquals(2, proof.size());
        for (int i = 0; i < 50 && seen.isEmpty(); i++) Thread.sleep(20);
        assertEquals(1, seen.size(), "listeners hear of the proof once");
        // the proof convinces whoever holds one half
        assertEquals(Ledger.Admission.FRAUD_PROOF, a.admit(proof.get(1).seq() == withA[0].seq() && proof.get(1).equals(withA[0]) ? proof.get(0) : proof.get(1)));
        assertTrue(a.isFraud(fKey.publicKey()));
        assertThrows(LedgerException.class, () -> a.propose(fKey.publicKey(), MIB, 1));
        Block next = f1.propose(a.publicKey(), MIB, 1);
        assertThrows(LedgerException.class, () -> a.agree(next));
        assertEquals(0, c.score(fKey.publicKey()));
    }

    @Test
    void chainIsDurableAndATornAppendIsCutOff(@TempDir Path dir) throws Exception {
        Ledger b = Ledger.ephemeral();
        byte[] key;
        List<Block> written;
        try (Ledger a = Ledger.open(dir)) {
            key = a.publicKey();
            transfer(a, b, 3 * MIB);
            transfer(a, b, 5 * MIB);
            a.propose(b.publicKey(), MIB, 1);
            written = a.chain();
        }
        Path keyFile = dir.resolve(LedgerKey.FILE_NAME);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
        assertFalse(dir.resolve("transport-static.key").equals(keyFile));
        Path chainFile = dir.resolve(Ledger.FOLDER).resolve(Ledger.CHAIN_FILE);
        try (FileChannel ch = FileChannel.open(chainFile, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.wrap(new byte[100])); // a crash in the middle of an append
        }
        try (Ledger a = Ledger.open(dir)) {
            assertArrayEquals(key, a.publicKey());
            assertEquals(written, a.chain());
            assertEquals(8 * MIB, a.balance(), "the other halves were kept too");
            Block next = a.propose(b.publicKey(), MIB, 1);
            assertEquals(4, next.seq());
            assertArrayEquals(written.get(2).hash(), next.previousHash());
        }
        assertEquals(4L * Block.LENGTH, Files.size(chainFile));
        // a bad block in the middle is refused, not skipped
        try (FileChannel ch = FileChannel.open(chainFile, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1}), Block.LENGTH + 120);
        }
        IOException e = assertThrows(IOException.class, () -> Ledger.open(dir));
        assertTrue(e.getMessage().contains("record 1"), e.getMessage());
    }

    @Test
    void twentySybilsVouchingForEachOtherScoreNoMoreThanANewcomer() throws Exception {
        Ledger honest = Ledger.ephemeral();
        Ledger friend = Ledger.ephemeral();
        Ledger newcomer = Ledger.ephemeral();
        transfer(friend, honest, 20 * MIB); // a real contributor
        List<Ledger> sybils = new ArrayList<>();
        for (int i = 0; i < 20; i++) sybils.add(Ledger.ephemeral());
        for (int i = 0; i < sybils.size(); i++) {
            for (int step = 1; step <= 3; step++) { // each "gave" the next three 1 GiB each, all countersigned
                transfer(sybils.get(i), sybils.get((i + step) % sybils.size()), 1L << 30);
            }
        }
        // the honest node sees all their chains, with every half of every pair, and the newcomer's (empty)
        for (Ledger s : sybils) for (Block b : s.chain()) assertTrue(honest.admit(b) != Ledger.Admission.REFUSED);
        // and the Sybils took 3 MiB from the honest node: real, countersigned, but it earns them nothing
        transfer(honest, sybils.get(0), 3 * MIB);
        long newcomerScore = honest.score(newcomer.publicKey());
        assertEquals(0, newcomerScore);
        Map<String, Long> scores = honest.scores();
        for (Ledger s : sybils) {
            assertTrue(honest.score(s.publicKey()) <= newcomerScore, "sybil score " + honest.score(s.publicKey()));
            assertEquals(0L, scores.get(Hex.encode(s.publicKey())));
        }
        assertEquals(20 * MIB, honest.score(friend.publicKey()), "the real contributor keeps its score");
        // attached by one real gift to the honest node, the whole cluster shares at most that edge
        transfer(sybils.get(5), honest, MIB);
        long total = 0;
        for (Ledger s : sybils) total = Math.max(total, honest.score(s.publicKey()));
        assertEquals(MIB, total, "no Sybil scores above the 1 MiB really given");
    }

    @Test
    void sessionProofBindsTheKeyToOneHandshake() {
        Ledger a = Ledger.ephemeral();
        byte[] h1 = new byte[64];
        byte[] h2 = new byte[64];
        h2[0] = 1;
        byte[] proof = a.sessionProof(h1);
        assertTrue(Ledger.sessionProofValid(a.publicKey(), h1, proof));
        assertFalse(Ledger.sessionProofValid(a.publicKey(), h2, proof), "replayed in another session");
        assertFalse(Ledger.sessionProofValid(Ledger.ephemeral().publicKey(), h1, proof), "claimed by another key");
    }
}
