package io.megatorrent.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A closed-loop KRPC load generator, an outside client as a busy network looks to a node:
 * several UDP sockets, each on its own platform thread, each keeping its share of the window
 * in flight (a new query for every answer); a socket silent for 50 ms sends its whole share
 * again, so lost datagrams cost time, not the window. Answers are counted per 100 ms slot
 * from the first query sent, so a cold target's first second shows apart from the rest.
 */
final class DhtLoad {
    /** Width of one counting slot. */
    static final long SLOT_NANOS = 100_000_000L;
    private static final int SILENCE_MILLIS = 50;

    /** What one run saw: answers per slot, from the first query on. */
    record Result(long[] perSlot, double seconds) {
        long answered() {
            long n = 0;
            for (long a : perSlot) n += a;
            return n;
        }

        double rate() {
            return answered() / seconds;
        }

        /** Answers per second during the first second. */
        double firstSecond() {
            long n = 0;
            for (int i = 0; i < Math.min(10, perSlot.length); i++) n += perSlot[i];
            return n * 1e9 / (Math.min(10, perSlot.length) * SLOT_NANOS);
        }
    }

    private DhtLoad() {}

    static byte[] query(boolean getPeers) {
        return (getPeers
                ? "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t4:TTTT1:y1:qe"
                : "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t4:TTTT1:y1:qe").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Runs for {@code seconds} against target with {@code window} queries in flight over
     * {@code sockets} sockets. {@code onFirstQuery} runs just before the first datagram leaves.
     */
    static Result run(InetSocketAddress target, boolean getPeers, double seconds, int window, int sockets, Runnable onFirstQuery)
            throws IOException, InterruptedException {
        byte[] template = query(getPeers);
        int tidAt = indexOf(template, "TTTT");
        int slots = (int) Math.ceil(seconds * 1e9 / SLOT_NANOS);
        AtomicLongArray counts = new AtomicLongArray(slots);
        List<DatagramChannel> channels = new ArrayList<>();
        try {
            for (int s = 0; s < sockets; s++) {
                DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET);
                channels.add(ch);
                ch.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
                ch.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                ch.connect(target);
                ch.socket().setSoTimeout(SILENCE_MILLIS);
            }
            CountDownLatch go = new CountDownLatch(1);
            long[] start = new long[1];
            List<Thread> threads = new ArrayList<>();
            IOException[] failure = new IOException[1];
            for (int s = 0; s < sockets; s++) {
                DatagramChannel ch = channels.get(s);
                int share = window / sockets + (s < window % sockets ? 1 : 0);
                int salt = s << 24;
                threads.add(Thread.ofPlatform().name("dht-load-" + s).start(() -> {
                    ByteBuffer out = ByteBuffer.wrap(template.clone());
                    java.net.DatagramPacket in = new java.net.DatagramPacket(new byte[2048], 2048);
                    int n = salt;
                    try {
                        go.await();
                        long t0 = start[0];
                        long end = t0 + (long) (seconds * 1e9);
                        for (int i = 0; i < share; i++) n = send(ch, out, tidAt, n);
                        long now;
                        while ((now = System.nanoTime()) < end) {
                            try {
                                ch.socket().receive(in);
                                int slot = (int) ((System.nanoTime() - t0) / SLOT_NANOS);
                                if (slot < slots) counts.incrementAndGet(slot);
                                n = send(ch, out, tidAt, n);
                            } catch (java.net.SocketTimeoutException | java.net.PortUnreachableException e) {
                                for (int i = 0; i < share; i++) n = send(ch, out, tidAt, n);
                            }
                        }
                    } catch (IOException e) {
                        synchronized (failure) {
                            failure[0] = e;
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            onFirstQuery.run();
            start[0] = System.nanoTime();
            go.countDown();
            for (Thread t : threads) t.join();
            if (failure[0] != null) throw failure[0];
            long[] perSlot = new long[slots];
            for (int i = 0; i < slots; i++) perSlot[i] = counts.get(i);
            return new Result(perSlot, slots * SLOT_NANOS / 1e9);
        } finally {
            for (DatagramChannel ch : channels) ch.close();
        }
    }

    private static int send(DatagramChannel ch, ByteBuffer out, int tidAt, int n) throws IOException {
        n++;
        out.put(tidAt, (byte) (n >> 24)).put(tidAt + 1, (byte) (n >> 16)).put(tidAt + 2, (byte) (n >> 8)).put(tidAt + 3, (byte) n);
        out.clear();
        try {
            ch.write(out);
        } catch (java.net.PortUnreachableException e) {
            // the target is not up yet or went away: the silence timeout resends
        }
        return n;
    }

    private static int indexOf(byte[] hay, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + n.length <= hay.length; i++) {
            for (int j = 0; j < n.length; j++) if (hay[i + j] != n[j]) continue outer;
            return i;
        }
        throw new IllegalArgumentException(needle);
    }
}
