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
        private final byte[] plain = new byte[MAX_FRAME_PLAINTEXT];
        private final byte[] frame = new byte[FRAME_LENGTH_PREFIX + Noise.MAX_MESSAGE_LENGTH];

        public Sealer(Noise.CipherState cipher) {
            this.cipher = cipher;
        }

        public void write(byte[] message, FrameSink sink) throws IOException {
            int length = message.length;
            if (length < Message.HEADER_LENGTH || length > Message.MAX_MESSAGE_LENGTH) {
                throw new IllegalArgumentException("message length " + length + " outside 5.." + Message.MAX_MESSAGE_LENGTH);
            }
            plain[0] = (byte) (length >>> 24);
            plain[1] = (byte) (length >>> 16);
            plain[2] = (byte) (length >>> 8);
            plain[3] = (byte) length;
            int fill = MESSAGE_LENGTH_PREFIX;
            int sent = 0;
            while (sent < length) {
                int n = Math.min(length - sent, MAX_FRAME_PLAINTEXT - fill);
                System.arraycopy(message, sent, plain, fill, n);
                sent += n;
                seal(plain, fill + n, sink);
                fill = 0;
            }
        }

        private void seal(byte[] plaintext, int length, FrameSink sink) throws IOException {
            int ct;
            try {
                ct = cipher.encryptWithAd(null, plaintext, 0, length, frame, FRAME_LENGTH_PREFIX);
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

    /** Opens frames and reassembles protocol messages with one direction's cipher. Not thread-safe. */
    public static final class Opener {
        private final Noise.CipherState cipher;
        private final byte[] frame = new byte[Noise.MAX_MESSAGE_LENGTH];
        private final byte[] plain = new byte[MAX_FRAME_PLAINTEXT];
        /** Bytes of the stream consumed so far, for error offsets. */
        private long position;

        public Opener(Noise.CipherState cipher) {
            this.cipher = cipher;
        }

        /** The next message's bytes, or null when the stream ends cleanly between messages. */
        public byte[] read(InputStream in) throws IOException {
            long start = position;
            int first = in.read();
            if (first < 0) return null;
            int plainLength = openFrame(in, first);
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
            byte[] message = new byte[length];
            int got = plainLength - MESSAGE_LENGTH_PREFIX;
            System.arraycopy(plain, MESSAGE_LENGTH_PREFIX, message, 0, got);
            while (got < length) {
                long frameStart = position;
                int b = in.read();
                if (b < 0) throw new ProtocolException("frame", frameStart, "stream ended inside a message");
                int n = openFrame(in, b);
                requireFrameLength(n, Math.min(length - got, MAX_FRAME_PLAINTEXT), frameStart);
                System.arraycopy(plain, 0, message, got, n);
                got += n;
            }
            return message;
        }

        private static void requireFrameLength(int actual, int expected, long at) throws ProtocolException {
            if (actual != expected) {
                throw new ProtocolException("frame length", at, "frame holds " + actual + " plaintext bytes, the message layout needs " + expected);
            }
        }

        /** Reads and decrypts one frame whose first length byte is {@code high}; returns its plaintext length. */
        private int openFrame(InputStream in, int high) throws IOException {
            long at = position;
            int low = in.read();
            if (low < 0) throw new ProtocolException("frame length", at, "stream ended inside a frame length");
            int length = (high << 8) | low;
            position += FRAME_LENGTH_PREFIX;
            if (length <= Noise.TAG_LENGTH) {
                throw new ProtocolException("frame length", at, length + " bytes cannot hold a tag and a non-empty plaintext");
            }
            readInto(in, frame, length, at);
            position += length;
            try {
                int n = cipher.decryptWithAd(null, frame, 0, length, plain, 0);
                rekeyIfDue(cipher);
                return n;
            } catch (CryptoException e) {
                throw new ProtocolException("frame", at, e.getMessage(), e);
            }
        }
    }

    private static void readInto(InputStream in, byte[] buf, int length, long at) throws IOException {
        int got = 0;
        while (got < length) {
            int n = in.read(buf, got, length - got);
            if (n < 0) throw new ProtocolException("frame", at, "stream ended inside a frame (" + got + " of " + length + " bytes)");
            got += n;
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
