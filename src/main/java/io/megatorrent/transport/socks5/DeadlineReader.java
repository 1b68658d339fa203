package io.megatorrent.transport.socks5;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Exact-length reads and writes on a blocking channel, all under one deadline. Reads go through
 * the channel's socket adaptor, whose SO_TIMEOUT bounds each read (a plain blocking channel
 * read has no timeout), and never read past what was asked: bytes after the proxy's reply
 * belong to the peer.
 */
final class DeadlineReader {
    private final SocketChannel channel;
    private final InputStream in;
    private final long deadlineNanos;

    DeadlineReader(SocketChannel channel, long deadlineNanos) throws IOException {
        this.channel = channel;
        this.in = channel.socket().getInputStream();
        this.deadlineNanos = deadlineNanos;
    }

    byte[] readExactly(int length, String what) throws IOException {
        byte[] out = new byte[length];
        int off = 0;
        while (off < length) {
            channel.socket().setSoTimeout(remainingMillis(what));
            int n;
            try {
                n = in.read(out, off, length - off);
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException("SOCKS5 proxy timed out sending " + what);
            }
            if (n < 0) {
                throw new EOFException("SOCKS5 proxy closed the connection in " + what + " after "
                        + off + " of " + length + " bytes");
            }
            off += n;
        }
        return out;
    }

    int readByte(String what) throws IOException {
        return readExactly(1, what)[0] & 0xff;
    }

    void write(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) channel.write(b);
    }

    /** Back to reads without timeout, for whoever owns the channel next. */
    void finish() throws IOException {
        channel.socket().setSoTimeout(0);
    }

    private int remainingMillis(String what) throws SocketTimeoutException {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) throw new SocketTimeoutException("SOCKS5 negotiation timed out before " + what);
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000));
    }
}
