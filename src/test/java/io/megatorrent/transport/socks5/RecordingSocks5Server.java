package io.megatorrent.transport.socks5;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A scripted SOCKS5 server for wire-level tests: records the bytes our client sends (greeting,
 * RFC 1929 request, CONNECT request) and answers with the replies the test sets, including
 * malformed ones no real proxy sends. After a successful reply it echoes. Real proxies
 * (microsocks, dante, tor) are tested separately; this one sees the exact bytes.
 */
final class RecordingSocks5Server implements AutoCloseable {
    record Exchange(byte[] greeting, byte[] auth, byte[] request) {}

    final BlockingQueue<Exchange> exchanges = new LinkedBlockingQueue<>();
    /** Method selection; null answers with the method the client offered. */
    volatile byte[] methodReply;
    volatile byte[] authReply = {1, 0};
    volatile byte[] connectReply = {5, 0, 0, 1, 127, 0, 0, 1, 0x1f, (byte) 0x90};
    /** Says nothing after the greeting (for timeout tests). */
    volatile boolean silent;
    /** Closes right after the CONNECT reply instead of echoing (for cut-short replies). */
    volatile boolean closeAfterReply;

    private final ServerSocket server;
    private final Thread acceptor;

    RecordingSocks5Server() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread.ofVirtual().start(() -> serve(s));
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    private void serve(Socket s) {
        try (s) {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            ByteArrayOutputStream greeting = new ByteArrayOutputStream();
            byte[] head = readN(in, 2);
            greeting.write(head);
            byte[] methods = readN(in, head[1] & 0xff);
            greeting.write(methods);
            if (silent) {
                exchanges.add(new Exchange(greeting.toByteArray(), null, null));
                in.read(); // until the client gives up and closes
                return;
            }
            byte[] method = methodReply != null ? methodReply : new byte[] {5, methods[0]};
            out.write(method);
            byte[] auth = null;
            if (method.length == 2 && method[0] == 5 && method[1] == 2) {
                ByteArrayOutputStream a = new ByteArrayOutputStream();
                byte[] vu = readN(in, 2);
                a.write(vu);
                a.write(readN(in, vu[1] & 0xff));
                int plen = in.read();
                a.write(plen);
                a.write(readN(in, plen));
                auth = a.toByteArray();
                out.write(authReply);
                if (authReply.length != 2 || authReply[0] != 1 || authReply[1] != 0) {
                    exchanges.add(new Exchange(greeting.toByteArray(), auth, null));
                    return;
                }
            } else if (method.length != 2 || method[0] != 5 || method[1] != 0) {
                exchanges.add(new Exchange(greeting.toByteArray(), null, null));
                return;
            }
            ByteArrayOutputStream req = new ByteArrayOutputStream();
            byte[] h = readN(in, 4);
            req.write(h);
            int addrLen = switch (h[3]) {
                case 1 -> 4;
                case 4 -> 16;
                case 3 -> {
                    int n = in.read();
                    req.write(n);
                    yield n;
                }
                default -> 0;
            };
            req.write(readN(in, addrLen + 2));
            exchanges.add(new Exchange(greeting.toByteArray(), auth, req.toByteArray()));
            out.write(connectReply);
            out.flush();
            if (!closeAfterReply && connectReply.length >= 2 && connectReply[1] == 0) {
                s.setSoTimeout(0);
                in.transferTo(out); // echo
            }
        } catch (IOException ignored) {
            // the client closed early: what it sent is recorded
        }
    }

    private static byte[] readN(InputStream in, int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) throw new java.io.EOFException("client closed");
        return b;
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
