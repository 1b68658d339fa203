package io.megatorrent.transport.socks5;

import io.megatorrent.testing.Fuzz;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.SynchronousQueue;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the SOCKS5 reply decoder over real loopback streams: a fake proxy sends the input as
 * its whole answer (method selection and CONNECT reply) and closes; the client negotiates.
 */
class Socks5ReplyFuzzTest {
    @Test
    void socksReplyDecoder() throws Exception {
        List<byte[]> seeds = List.of(
                new byte[] {5, 0, 5, 0, 0, 1, 10, 0, 0, 1, 0x1f, (byte) 0x90},
                new byte[] {5, 0, 5, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80},
                new byte[] {5, 0, 5, 0, 0, 3, 4, 'h', 'o', 's', 't', 0, 80},
                new byte[] {5, 0, 5, 4, 0, 1, 0, 0, 0, 0, 0, 0},
                new byte[] {5, (byte) 0xff});
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            SynchronousQueue<byte[]> replies = new SynchronousQueue<>();
            Thread proxy = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        byte[] reply = replies.take();
                        try (SocketChannel s = server.accept()) {
                            s.write(ByteBuffer.wrap(reply));
                            s.shutdownOutput();
                            s.read(ByteBuffer.allocate(512)); // until the client is done (it closes first: no TIME_WAIT here)
                        } catch (IOException ignored) {
                            // the client reset: fine
                        }
                    }
                } catch (InterruptedException e) {
                    // done
                }
            });
            try {
                Fuzz.run("SOCKS5 reply", 2_000, 5, seeds, 300, 256 << 10, 16, input -> {
                    replies.put(input);
                    try (SocketChannel c = SocketChannel.open(server.getLocalAddress())) {
                        c.setOption(StandardSocketOptions.SO_LINGER, 0); // closed with a reset: a million runs leave no TIME_WAIT
                        Socks5Handshake.negotiate(c, "example.org", 443, null, System.nanoTime() + 5_000_000_000L);
                    }
                }, IOException.class);
            } finally {
                proxy.interrupt();
            }
        }
    }
}
