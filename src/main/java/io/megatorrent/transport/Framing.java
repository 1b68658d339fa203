package io.megatorrent.transport;

import io.megatorrent.crypto.CryptoException;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Frames on the byte stream (PROTOCOL_FINAL.md 4.3 and 4.4). Every Noise message travels as
 * {@code uint16be length || noise message}. After the handshake, a protocol message of L bytes
 * is the plaintext stream {@code uint32be L || message}, cut into Noise transport messages of
 * {@link #MAX_FRAME_PLAINTEXT} bytes (the last one shorter); the next message starts a new frame.
 * The receiver checks L against {@link Message#MAX_MESSAGE_LENGTH} before allocating anything
 * for it, and every frame length against what L leaves, so the layout admits exactly one reading.
 */
public final class Framing {
    public static final int FRAME_LENGTH_PREFIX = 2;
    public static final int MESSAGE_LENGTH_PREFIX = 4;
    /** Largest plaintext per transport frame: a Noise message of 65535 bytes minus the tag. */
    public static final int MAX_FRAME_PLAINTEXT = Noise.MAX_MESSAGE_LENGTH - Noise.TAG_LENGTH;
    /**
     * Each direction rekeys (Noise 4.2 REKEY) after every 2^16 transport frames, about 4 GiB of
     * full frames: after sealing or opening the frame with nonce n where n mod 2^16 = 2^16 - 1.
     * The nonce keeps counting across rekeys and the connection is refused at 2^64 - 1.
     */
    public static final long REKEY_INTERVAL = 1L << 16;

    private static final byte[] NOTHING = new byte[0];

    private Framing() {}

    /** Where sealed frames go. */
    @FunctionalInterface
    public interface FrameSink {
        void write(byte[] buf, int off, int len) throws IOException;
    }

    /** {@code uint16be length || message} for a handshake message. */
    public static byte[] handshakeFrame(byte[] noiseMessage) {
        if (noiseMessage.length > Noise.MAX_MESSAGE_LENGTH) throw new IllegalArgumentException("Noise message over 65535 bytes");
        byte[] out = new byte[FRAME_LENGTH_PREFIX + noiseMessage.length];
        out[0] = (byte) (noiseMessage.length >>> 8);
        out[1] = (byte) noiseMessage.length;
        System.arraycopy(noiseMessage, 0, out, FRAME_LENGTH_PREFIX, noiseMessage.length);
        return out;
    }

    /** Reads one handshake frame of at most {@code max} bytes. */
    static byte[] readHandshakeFrame(InputStream in, int max) throws IOException {
        int length = readUint16(in, "handshake frame length");
        if (length > max) throw new ProtocolException("handshake frame length", 0, length + " bytes, at most " + max + " expected");
        return readFully(in, length, "handshake frame", FRAME_LENGTH_PREFIX);
    }

    static void rekeyIfDue(Noise.CipherState cipher) {
        if ((cipher.nonce() & (REKEY_INTERVAL - 1)) == 0) cipher.rekey();
    }

    /** Seals protocol messages into frames with one direction's cipher. Not thread-safe. */
    public static final class Sealer {
        private final Noise.CipherState cipher;
        /**
         * Scratch for one frame, grown to the largest frame sent so far: a connection that only
         * ever sends short messages (most of those a listener serves) holds a few hundred bytes,
         * not 128 KiB.
         */
        private byte[] plain = NOTHING;
        private byte[] frame = NOTHING;

        public Sealer(Noise.CipherState cipher) {
            this.cipher = cipher;
        }

        public void write(byte[] message, FrameSink sink) throws IOException {
            write(message, NOTHING, sink);
        }

        /**
         * Seals the message {@code head || body} without joining the two: a frame that lies
         * wholly inside {@code body} (most of a MSG_DATA) is encrypted straight from it.
         */
        public void write(byte[] head, byte[] body, FrameSink sink) throws IOException {
            long total = (long) head.length + body.length;
            if (total < Message.HEADER_LENGTH || total > Message.MAX_MESSAGE_LENGTH) {
                throw new IllegalArgumentException("message length " + total + " outside 5.." + Message.MAX_MESSAGE_LENGTH);
            }
            int length = (int) total;
            int streamLength = MESSAGE_LENGTH_PREFIX + length;
            int bodyStart = MESSAGE_LENGTH_PREFIX + head.length; // where body begins in prefix || head || body
            int largestFrame = Math.min(streamLength, MAX_FRAME_PLAINTEXT);
            if (plain.length < largestFrame) {
                plain = new byte[largestFrame];
                frame = new byte[FRAME_LENGTH_PREFIX + largestFrame + Noise.TAG_LENGTH];
            }
            for (int at = 0; at < streamLength; at += MAX_FRAME_PLAINTEXT) {
                int n = Math.min(streamLength - at, MAX_FRAME_PLAINTEXT);
                if (at >= bodyStart) {
                    seal(body, at - bodyStart, n, sink);
                    continue;
                }
                int fill = 0;
                if (at == 0) {
                    plain[0] = (byte) (length >>> 24);
                    plain[1] = (byte) (length >>> 16);
                    plain[2] = (byte) (length >>> 8);
                    plain[3] = (byte) length;
                    fill = MESSAGE_LENGTH_PREFIX;
                }
                int fromHead = Math.min(head.length - (at + fill - MESSAGE_LENGTH_PREFIX), n - fill);
                System.arraycopy(head, at + fill - MESSAGE_LENGTH_PREFIX, plain, fill, fromHead);
                fill += fromHead;
                System.arraycopy(body, 0, plain, fill, n - fill);
                seal(plain, 0, n, sink);
            }
        }

        private void seal(byte[] plaintext, int offset, int length, FrameSink sink) throws IOException {
            int ct;
            try {
                ct = cipher.encryptWithAd(null, plaintext, offset, length, frame, FRAME_LENGTH_PREFIX);
            } catch (CryptoException e) {
                throw new IOException("cannot send: " + e.getMessage(), e);
            }
            frame[0] = (byte) (ct >>> 8);
            frame[1] = (byte) ct;
            rekeyIfDue(cipher);
            sink.write(frame, 0, FRAME_LENGTH_PREFIX + ct);
        }

        /** The frames of {@code message}, concatenated: for vectors. */
        public byte[] seal(byte[] message) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                write(message, out::write);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toByteArray();
        }
    }

    /**
     * What a receiver lets in (PROTOCOL_FINAL.md 4.7): consulted with a message's type, request id
     * and declared length once its first frame is open, before anything is allocated for it.
     */
    public interface Gate {
        /** Lets everything in that the framing itself allows: for vectors and tests. */
        Gate NONE = new Gate() {};

        /** The first bytes of a message arrived: from now on its deadline runs. */
        default void messageStarted() {}

        /**
         * Refuses the message by throwing (the caller closes the stream, the message unread), or
         * lets it in and returns how many bytes were reserved for it from a shared budget.
         */
        default long admit(int type, int requestId, int length) throws IOException {
            return 0;
        }

        /** The message was read, or its reading failed: its reservation is given back. */
        default void messageEnded(long reserved) {}
    }

    /**
     * Opens frames and reassembles protocol messages with one direction's cipher. Not thread-safe.
     * It reads ahead into a buffer of its own (so give it an unbuffered stream, and the same
     * stream on every call) and decrypts each frame where it lies, straight into the message
     * when the frame is the length the layout expects.
     */
    public static final class Opener {
        /** Two whole frames: one always fits, with room to read ahead. */
        static final int INPUT_BUFFER = 2 * (FRAME_LENGTH_PREFIX + Noise.MAX_MESSAGE_LENGTH);
        private final Noise.CipherState cipher;
        private final Gate gate;
        private final byte[] input = new byte[INPUT_BUFFER];
        /** Unread bytes are input[head, tail). */
        private int head;
        private int tail;
        /** The stream read ahead from, while bytes of it are buffered. */
        private InputStream source;
        private final byte[] plain = new byte[MAX_FRAME_PLAINTEXT];
        /** Bytes of the stream consumed so far, for error offsets. */
        private long position;
        /** What the gate reserved for the message being read. */
        private long reserved;

        public Opener(Noise.CipherState cipher) {
            this(cipher, Gate.NONE);
        }

        public Opener(Noise.CipherState cipher, Gate gate) {
            this.cipher = cipher;
            this.gate = gate;
        }

        /** The next message's bytes, or null when the stream ends cleanly between messages. */
        public byte[] read(InputStream in) throws IOException {
            byte[][] parts = readParts(in);
            if (parts == null) return null;
            if (parts[1] == null) return parts[0];
            byte[] joined = java.util.Arrays.copyOf(parts[0], parts[0].length + parts[1].length);
            System.arraycopy(parts[1], 0, joined, parts[0].length, parts[1].length);
            return joined;
        }

        /** The next message, decoded; null when the stream ends cleanly between messages. */
        Message readMessage(InputStream in) throws IOException {
            byte[][] parts = readParts(in);
            if (parts == null) return null;
            return parts[1] == null ? Message.decode(parts[0]) : Message.decodeData(parts[0], parts[1]);
        }

        /**
         * The next message as {header, blob} for a MSG_DATA with a blob, else as {message, null}:
         * a blob is decrypted into an array of its own, so decoding it copies nothing.
         */
        private byte[][] readParts(InputStream in) throws IOException {
            if (head < tail && in != source) throw new IllegalStateException("bytes read ahead from another stream are still buffered");
            source = in;
            long start = position;
            if (!fill(in, 1)) return null;
            gate.messageStarted();
            reserved = 0;
            try {
                return readParts(in, start);
            } finally {
                gate.messageEnded(reserved);
                reserved = 0;
            }
        }

        private byte[][] readParts(InputStream in, long start) throws IOException {
            int plainLength = openFrame(in, plain, 0, -1);
            if (plainLength < MESSAGE_LENGTH_PREFIX) {
                throw new ProtocolException("message length", start, "first frame of a message holds " + plainLength + " bytes, fewer than 4");
            }
            long declared = ((plain[0] & 0xFFL) << 24) | ((plain[1] & 0xFF) << 16) | ((plain[2] & 0xFF) << 8) | (plain[3] & 0xFF);
            if (declared < Message.HEADER_LENGTH || declared > Message.MAX_MESSAGE_LENGTH) {
                throw new ProtocolException("message length", start, "declared " + declared + " bytes, allowed "
                        + Message.HEADER_LENGTH + ".." + Message.MAX_MESSAGE_LENGTH);
            }
            int length = (int) declared;
            requireFrameLength(plainLength, Math.min(MESSAGE_LENGTH_PREFIX + length, MAX_FRAME_PLAINTEXT), start);
            int requestId = ((plain[5] & 0xFF) << 24) | ((plain[6] & 0xFF) << 16) | ((plain[7] & 0xFF) << 8) | (plain[8] & 0xFF);
            reserved = gate.admit(plain[MESSAGE_LENGTH_PREFIX] & 0xFF, requestId, length);
            // The first frame holds the whole 5-byte header (65515 message bytes, or all of a shorter message).
            boolean data = length > Message.HEADER_LENGTH && plain[MESSAGE_LENGTH_PREFIX] == Message.DATA;
            int split = data ? Message.HEADER_LENGTH : length; // message[0, split) -> header, the rest -> blob
            byte[] header = new byte[split];
            byte[] blob = data ? new byte[length - split] : null;
            int got = plainLength - MESSAGE_LENGTH_PREFIX;
            System.arraycopy(plain, MESSAGE_LENGTH_PREFIX, header, 0, Math.min(got, split));
            if (data) System.arraycopy(plain, MESSAGE_LENGTH_PREFIX + split, blob, 0, got - split);
            byte[] rest = data ? blob : header;
            while (got < length) {
                long frameStart = position;
                if (!fill(in, 1)) throw new ProtocolException("frame", frameStart, "stream ended inside a message");
                int expected = Math.min(length - got, MAX_FRAME_PLAINTEXT);
                int n = openFrame(in, rest, got - (data ? split : 0), expected);
                requireFrameLength(n, expected, frameStart);
                got += n;
            }
            return new byte[][] {header, blob};
        }

        private static void requireFrameLength(int actual, int expected, long at) throws ProtocolException {
            if (actual != expected) {
                throw new ProtocolException("frame length", at, "frame holds " + actual + " plaintext bytes, the message layout needs " + expected);
            }
        }

        /**
         * Reads and decrypts one frame; returns its plaintext length. The plaintext goes to
         * {@code out} at {@code outOff} when it is {@code expected} bytes long (or expected is -1),
         * else to the scratch buffer, for the caller to refuse.
         */
        private int openFrame(InputStream in, byte[] out, int outOff, int expected) throws IOException {
            long at = position;
            if (!fill(in, FRAME_LENGTH_PREFIX)) throw new ProtocolException("frame length", at, "stream ended inside a frame length");
            int length = ((input[head] & 0xFF) << 8) | (input[head + 1] & 0xFF);
            head += FRAME_LENGTH_PREFIX;
            position += FRAME_LENGTH_PREFIX;
            if (length <= Noise.TAG_LENGTH) {
                throw new ProtocolException("frame length", at, length + " bytes cannot hold a tag and a non-empty plaintext");
            }
            if (!fill(in, length)) {
                throw new ProtocolException("frame", at, "stream ended inside a frame (" + (tail - head) + " of " + length + " bytes)");
            }
            int frameAt = head;
            head += length;
            position += length;
            boolean direct = expected < 0 || length - Noise.TAG_LENGTH == expected;
            try {
                int n = cipher.decryptWithAd(null, input, frameAt, length, direct ? out : plain, direct ? outOff : 0);
                rekeyIfDue(cipher);
                return n;
            } catch (CryptoException e) {
                throw new ProtocolException("frame", at, e.getMessage(), e);
            }
        }

        /** Makes at least {@code need} unread bytes available; false when the stream ends first. */
        private boolean fill(InputStream in, int need) throws IOException {
            if (tail - head >= need) return true;
            if (input.length - head < need) { // move the unread bytes to the front to make room
                System.arraycopy(input, head, input, 0, tail - head);
                tail -= head;
                head = 0;
            }
            while (tail - head < need) {
                int n = in.read(input, tail, input.length - tail);
                if (n < 0) return false;
                tail += n;
            }
            return true;
        }
    }

    private static int readUint16(InputStream in, String field) throws IOException {
        int a = in.read();
        int b = a < 0 ? -1 : in.read();
        if (b < 0) throw new EOFException(field + ": stream ended");
        return (a << 8) | b;
    }

    private static byte[] readFully(InputStream in, int length, String field, long at) throws IOException {
        byte[] out = new byte[length];
        int got = 0;
        while (got < length) {
            int n = in.read(out, got, length - got);
            if (n < 0) throw new EOFException(field + " at offset " + at + ": stream ended after " + got + " of " + length + " bytes");
            got += n;
        }
        return out;
    }
}
