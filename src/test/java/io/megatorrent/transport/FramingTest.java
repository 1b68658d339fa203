package io.megatorrent.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The zero-copy paths (a blob sealed where it lies, frames opened in the read-ahead buffer, a
 * blob decrypted into its own array) give exactly the bytes of the plain path: the wire format
 * itself is pinned by test-vectors/framing.json.
 */
class FramingTest {
    private static final byte[] KEY = new byte[32];
    private static final int F = Framing.MAX_FRAME_PLAINTEXT;

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] sealSplit(byte[] head, byte[] body) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Framing.Sealer(new Noise.CipherState(KEY, 7)).write(head, body, out::write);
        return out.toByteArray();
    }

    /** Blob lengths around each frame boundary and the largest allowed. */
    private static final int[] BLOBS = {1, 2, F - 9, F - 8, F - 7, F, 2 * F - 9, 2 * F - 8, 2 * F - 7, 1 << 20, Message.MAX_BLOB_LENGTH};

    @Test
    void sealingHeadAndBodyApartGivesTheSameWire() throws Exception {
        for (int n : BLOBS) {
            byte[] blob = random(n, n);
            byte[] whole = Message.encode(new Message.Data(9, blob));
            byte[] expected = new Framing.Sealer(new Noise.CipherState(KEY, 7)).seal(whole);
            assertArrayEquals(expected, sealSplit(Arrays.copyOf(whole, Message.HEADER_LENGTH), blob), "blob of " + n);
            assertArrayEquals(expected, sealSplit(new byte[0], whole), "all in the body, blob of " + n);
            assertArrayEquals(expected, sealSplit(whole, new byte[0]), "all in the head, blob of " + n);
            int cut = Math.min(whole.length - 1, F + 3);
            assertArrayEquals(expected, sealSplit(Arrays.copyOf(whole, cut), Arrays.copyOfRange(whole, cut, whole.length)), "head past a frame, " + n);
        }
    }

    /** A stream that hands out at most {@code step} bytes per read, as a socket may. */
    private static InputStream trickle(byte[] wire, int step) {
        return new ByteArrayInputStream(wire) {
            @Override
            public int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, step));
            }
        };
    }

    @Test
    void openingDecodesBlobsAndOtherMessagesAlike() throws Exception {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        Framing.Sealer sealer = new Framing.Sealer(new Noise.CipherState(KEY, 0));
        Message[] sent = new Message[BLOBS.length + 1];
        for (int i = 0; i < BLOBS.length; i++) {
            sent[i] = new Message.Data(i + 1, random(BLOBS[i], i));
            sealer.write(Message.encode(sent[i]), wire::write);
        }
        sent[BLOBS.length] = new Message.Ok(3);
        sealer.write(Message.encode(sent[BLOBS.length]), wire::write);
        for (int step : new int[] {1 << 20, 1000, 7}) {
            Framing.Opener opener = new Framing.Opener(new Noise.CipherState(KEY, 0));
            InputStream in = trickle(wire.toByteArray(), step);
            for (Message m : sent) {
                Message got = opener.readMessage(in);
                if (m instanceof Message.Data d) {
                    Message.Data back = assertInstanceOf(Message.Data.class, got);
                    assertEquals(d.requestId(), back.requestId());
                    assertArrayEquals(d.blob(), back.blob());
                } else {
                    assertEquals(m, got);
                }
            }
            assertNull(opener.readMessage(in));
        }
        Framing.Opener opener = new Framing.Opener(new Noise.CipherState(KEY, 0));
        byte[] small = new Framing.Sealer(new Noise.CipherState(KEY, 0)).seal(Message.encode(new Message.Data(5, random(300, 1))));
        byte[] read = opener.read(trickle(small, 1));
        assertArrayEquals(Message.encode(new Message.Data(5, random(300, 1))), read, "read() joins header and blob back");
    }

    @Test
    void dataWithRequestIdZeroIsStillRefused() throws Exception {
        byte[] bad = Message.encode(new Message.Data(1, new byte[10]));
        bad[4] = 0; // request_id 1 -> 0
        byte[] wire = new Framing.Sealer(new Noise.CipherState(KEY, 0)).seal(bad);
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> new Framing.Opener(new Noise.CipherState(KEY, 0)).readMessage(new ByteArrayInputStream(wire)));
        assertEquals("request_id", e.field());
        assertEquals(ProtocolException.class, assertThrows(ProtocolException.class, () -> Message.decode(bad)).getClass());
    }
}
