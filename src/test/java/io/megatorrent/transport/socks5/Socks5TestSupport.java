package io.megatorrent.transport.socks5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.testing.RecordingResolver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/** What the SOCKS5 tests share: a loopback echo target, fresh host spellings, resolver checks. */
final class Socks5TestSupport {
    private static final AtomicInteger SPELLING = new AtomicInteger(1);

    private Socks5TestSupport() {}

    /**
     * "localhost" in a letter case this JVM has not used before. The JVM caches lookups by the
     * exact text, so only a fresh spelling proves a connect caused no lookup; every resolver
     * (the proxy's /etc/hosts) still maps it to loopback.
     */
    static String freshLocalhostSpelling() {
        int n = SPELLING.getAndIncrement();
        if (n >= 512) throw new IllegalStateException("out of fresh spellings of localhost");
        char[] c = "localhost".toCharArray();
        for (int i = 0; i < c.length; i++) {
            if ((n >> i & 1) != 0) c[i] = Character.toUpperCase(c[i]);
        }
        return new String(c);
    }

    /** Proves the recording resolver is the JVM's resolver: a lookup of a fresh name shows up. */
    static void assertResolverRecords() throws IOException {
        String name = freshLocalhostSpelling();
        RecordingResolver.clear();
        InetAddress.getAllByName(name);
        assertTrue(RecordingResolver.installed(), "recording resolver is not installed (META-INF/services missing?)");
        assertTrue(RecordingResolver.lookups().contains(name), "recording resolver missed a lookup of " + name
                + ": " + RecordingResolver.lookups());
    }

    static void assertNoLookups(String during) {
        assertEquals(java.util.List.of(), RecordingResolver.lookups(), "the JVM looked names up during " + during);
    }

    /** Sends a message and expects it echoed back whole. */
    static void assertEchoes(SocketChannel channel, String message) throws IOException {
        byte[] out = message.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.wrap(out);
        while (b.hasRemaining()) channel.write(b);
        ByteBuffer in = ByteBuffer.allocate(out.length);
        channel.socket().setSoTimeout(5000);
        var stream = channel.socket().getInputStream();
        byte[] got = stream.readNBytes(out.length);
        assertArrayEquals(out, got, "echo through the proxy");
        in.clear();
    }

    static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** A loopback TCP server that echoes every byte, one virtual thread per connection. */
    static final class EchoServer implements AutoCloseable {
        private final ServerSocketChannel server;
        private final Thread acceptor;

        EchoServer() throws IOException {
            server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            acceptor = Thread.ofVirtual().name("echo-accept").start(() -> {
                while (server.isOpen()) {
                    try {
                        SocketChannel c = server.accept();
                        Thread.ofVirtual().name("echo").start(() -> {
                            try (c) {
                                ByteBuffer buf = ByteBuffer.allocate(8192);
                                while (c.read(buf) >= 0) {
                                    buf.flip();
                                    while (buf.hasRemaining()) c.write(buf);
                                    buf.clear();
                                }
                            } catch (IOException ignored) {
                                // the client went away
                            }
                        });
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return server.socket().getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
            try {
                acceptor.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
