package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.content.Blob;
import io.megatorrent.crypto.X25519;
import io.megatorrent.ledger.Block;
import io.megatorrent.ledger.Ledger;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Listener;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.PeerTarget;
import io.megatorrent.transport.TcpDialer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The ledger messages against a hand-driven peer: inflated figures and forged blocks are refused over the wire. */
@Timeout(60)
class LedgerWireTest {
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    @Test
    void theReceiverCountersignsOnlyWhatItReceived() throws Exception {
        Map<String, byte[]> blobs = BlobTransferTest.randomBlobs(1, 41);
        byte[] blob = blobs.values().iterator().next();
        Ledger seeder = Ledger.ephemeral();
        Ledger receiver = Ledger.ephemeral();
        BlockingQueue<Message> answers = new LinkedBlockingQueue<>();
        // a seeder driven by hand: serves the blob, then proposes an inflated figure, then the true one
        Listener listener = Listener.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), X25519.generate(), Connection.Timeouts.DEFAULT, c -> {
            c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, List.of()));
            c.send(new Message.LedgerChain(0, seeder.publicKey(), seeder.sessionProof(c.handshakeHash()), List.of()));
            for (Message m = c.receive(); m != null; m = c.receive()) {
                if (m instanceof Message.Request r) {
                    c.send(new Message.Data(r.requestId(), blob.clone()));
                    Block inflated = seeder.propose(receiver.publicKey(), 2L * blob.length, 2);
                    c.send(new Message.LedgerPropose(100, inflated.encode()));
                } else if (m instanceof Message.Error e && e.requestId() == 100) {
                    answers.add(e);
                    Block honest = seeder.propose(receiver.publicKey(), blob.length, 1);
                    c.send(new Message.LedgerPropose(101, honest.encode()));
                } else if (m instanceof Message.LedgerAgree a) {
                    seeder.agreed(Block.decode(a.block()));
                    answers.add(a);
                }
            }
        });
        open.add(listener);
        BlobFetcher f = BlobFetcher.over(Connection.connect(new TcpDialer(), new PeerTarget(null, new PeerAddress("127.0.0.1", listener.localAddress().getPort())),
                X25519.generate(), Connection.Timeouts.DEFAULT), 0, receiver);
        open.add(f);
        assertArrayEquals(blob, f.request(BlobKeys.shortId(blobs.keySet().iterator().next())));
        Message.Error refusal = assertInstanceOf(Message.Error.class, answers.poll(20, TimeUnit.SECONDS));
        assertEquals(Message.Error.REFUSED, refusal.code());
        assertTrue(refusal.text().contains("bytes_given"), refusal.text());
        Message.LedgerAgree agree = assertInstanceOf(Message.LedgerAgree.class, answers.poll(20, TimeUnit.SECONDS));
        Block agreement = Block.decode(agree.block());
        assertEquals(blob.length, agreement.bytesTaken());
        assertEquals(2, agreement.counterpartySeq(), "it countersigns the honest second proposal");
        assertEquals(List.of(agreement), receiver.chain(), "the inflated proposal left nothing in the receiver's chain");
        assertEquals(-(long) blob.length, receiver.balance());
        assertEquals(blob.length, seeder.balance());
    }

    @Test
    void forgedBlocksOnTheWireAreRefusedAndTheConnectionGoesOn(@TempDir Path tmp) throws Exception {
        TestSwarm swarm = new TestSwarm();
        open.add(swarm);
        Node node = swarm.node(tmp.resolve("n"), List.of());
        Map<String, byte[]> blobs = BlobTransferTest.randomBlobs(1, 42);
        for (Map.Entry<String, byte[]> e : blobs.entrySet()) node.blobs().putVerified(e.getKey(), e.getValue());
        Ledger a = Ledger.ephemeral();
        Ledger b = Ledger.ephemeral();
        Block p1 = a.propose(b.publicKey(), 3 * Blob.BLOB_SIZE, 3);
        b.agree(p1);
        Block p2 = a.propose(b.publicKey(), 4 * Blob.BLOB_SIZE, 4);
        byte[] changedFigure = p2.encode();
        ByteBuffer.wrap(changedFigure).putLong(112, 400L * Blob.BLOB_SIZE);
        byte[] badSignature = p2.encode();
        badSignature[Block.LENGTH - 1] ^= 1;
        try (Connection c = Connection.connect(new TcpDialer(), new PeerTarget(null, new PeerAddress("127.0.0.1", node.listenAddress().getPort())),
                X25519.generate(), Connection.Timeouts.DEFAULT)) {
            c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, List.of()));
            c.send(new Message.LedgerChain(0, a.publicKey(), null, List.of(p1.encode(), changedFigure, badSignature)));
            c.send(new Message.LedgerGetChain(5, a.publicKey(), 1, 10));
            Message.LedgerChain answer = null;
            while (answer == null) {
                Message m = c.receive();
                if (m instanceof Message.LedgerChain ch && ch.requestId() == 5) answer = ch;
            }
            assertEquals(1, answer.blocks().size(), "only the genuine block was kept");
            assertArrayEquals(p1.encode(), answer.blocks().get(0));
            assertEquals(2, node.ledger().blocksRefused.get());
            // the connection still serves
            c.send(new Message.Request(6, BlobKeys.shortId(blobs.keySet().iterator().next())));
            Message m;
            do m = c.receive(); while (!(m instanceof Message.Data) && m != null);
            assertInstanceOf(Message.Data.class, m);
        }
    }
}
