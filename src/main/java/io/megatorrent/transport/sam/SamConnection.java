package io.megatorrent.transport.sam;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One TCP connection to the SAM bridge, after HELLO. Lines are read one byte at a time so that
 * nothing past the newline is consumed: after STREAM CONNECT/ACCEPT the same socket carries
 * the peer's bytes, and they belong to whoever takes {@link #channel()}.
 */
final class SamConnection implements Closeable {
    static final String VERSION = "3.1";
    static final String HELLO = "HELLO VERSION MIN=" + VERSION + " MAX=" + VERSION;

    private final SocketChannel channel;
    private final InputStream in;

    private SamConnection(SocketChannel channel) throws IOException {
        this.channel = channel;
        this.in = channel.socket().getInputStream();
    }

    /** Connects and says HELLO; the whole exchange ends by {@code deadlineNanos}. */
    static SamConnection open(InetSocketAddress bridge, long deadlineNanos) throws IOException {
        SocketChannel ch = SocketChannel.open();
        boolean ok = false;
        try {
            try {
                ch.socket().connect(bridge, remainingMillis(deadlineNanos, "connecting to the SAM bridge"));
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException("timed out connecting to SAM bridge " + bridge);
            } catch (IOException e) {
                throw new IOException("cannot connect to SAM bridge " + bridge + ": " + e.getMessage(), e);
            }
            ch.socket().setTcpNoDelay(true);
            SamConnection c = new SamConnection(ch);
            SamReply r = c.request("HELLO", HELLO, deadlineNanos);
            r.expectOk("HELLO", "HELLO", "REPLY");
            if (!VERSION.equals(r.get("VERSION"))) {
                throw SamException.protocol("bridge answered HELLO with VERSION=" + r.get("VERSION") + ", we asked for " + VERSION);
            }
            ok = true;
            return c;
        } finally {
            if (!ok) ch.close();
        }
    }

    SocketChannel channel() {
        return channel;
    }

    SamReply request(String command, String line, long deadlineNanos) throws IOException {
        send(line);
        return SamReply.parse(readLine(deadlineNanos, command));
    }

    void send(String line) throws IOException {
        ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII));
        while (b.hasRemaining()) channel.write(b);
    }

    /** One line without its newline; deadline 0 waits for ever (a pending STREAM ACCEPT). */
    String readLine(long deadlineNanos, String what) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        while (true) {
            channel.socket().setSoTimeout(deadlineNanos == 0 ? 0 : remainingMillis(deadlineNanos, what));
            int b;
            try {
                b = in.read();
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException("SAM bridge timed out answering " + what);
            }
            if (b < 0) {
                throw new EOFException("SAM bridge closed the connection while answering " + what
                        + (line.size() > 0 ? " (after \"" + SamReply.abbreviate(line.toString(StandardCharsets.US_ASCII)) + "\")" : ""));
            }
            if (b == '\n') break;
            if (line.size() >= SamReply.MAX_LINE_LENGTH) {
                throw SamException.protocol("reply to " + what + " longer than " + SamReply.MAX_LINE_LENGTH + " bytes");
            }
            line.write(b);
        }
        channel.socket().setSoTimeout(0);
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    static int remainingMillis(long deadlineNanos, String what) throws SocketTimeoutException {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) throw new SocketTimeoutException("SAM: timed out before " + what);
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000));
    }

    /**
     * A command line: words, then KEY=VALUE pairs in the given order. Values are never quoted:
     * anything that would need quoting (space, quote, backslash, '=', control or non-ASCII) is
     * refused here, so no input can inject a second key or command.
     */
    static String command(String words, Map<String, String> pairs) {
        StringBuilder sb = new StringBuilder(words);
        for (var e : pairs.entrySet()) {
            checkToken(e.getKey(), "option name", true);
            checkToken(e.getValue(), "value of " + e.getKey(), false);
            sb.append(' ').append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.toString();
    }

    static void checkToken(String s, String what, boolean isKey) {
        if (s == null || s.isEmpty()) throw new IllegalArgumentException("SAM " + what + " is empty");
        if (s.length() > SamReply.MAX_LINE_LENGTH) throw new IllegalArgumentException("SAM " + what + " is too long");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || (isKey && c == '=')) {
                throw new IllegalArgumentException("SAM " + what + " has a character that would need quoting at index " + i + ": " + SamReply.abbreviate(s));
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
