package io.megatorrent.transport;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * What one connection lets in (PROTOCOL_FINAL.md 4.7), decided before anything is allocated for
 * a message: a MSG_DATA must answer a MSG_REQUEST this end sent on the connection and still
 * waits for; every other message must fit in its first frame; a MSG_DATA reserves its length
 * from a budget shared by every connection in the process; and a message must arrive whole
 * within {@link #MESSAGE_DEADLINE} of its first byte, however it is dripped.
 *
 * <p>Also the connection's input stream: between messages a read may wait the idle timeout,
 * inside one only for what is left of the message's deadline.
 */
final class ReceiveGate extends InputStream implements Framing.Gate {
    /** Longest time one message may take to arrive: a full MSG_DATA at about 9 KiB/s. */
    static final Duration MESSAGE_DEADLINE = Duration.ofMinutes(2);
    /** Longest message other than MSG_DATA: whatever the first frame holds. */
    static final int MAX_CONTROL_LENGTH = Framing.MAX_FRAME_PLAINTEXT - Framing.MESSAGE_LENGTH_PREFIX;
    /**
     * Bytes of MSG_DATA being received at once in this process, across every connection: a
     * quarter of the heap, at most 256 MiB (64 MiB on a 256 MiB heap).
     */
    static final int BUDGET_BYTES = (int) Math.min(256L << 20, Math.max(8L << 20, Runtime.getRuntime().maxMemory() / 4));
    private static final Semaphore BUDGET = new Semaphore(BUDGET_BYTES, true);

    private final Socket socket;
    private final InputStream in;
    private final int idleMillis;
    private final long messageDeadlineNanos;
    /** Request ids this end sent and has no MSG_DATA or MSG_ERROR for yet. */
    private final Set<Integer> awaited = ConcurrentHashMap.newKeySet();
    /** When the message being read must be whole (System.nanoTime), or 0 between messages. */
    private long deadline;

    ReceiveGate(Socket socket, Duration idle) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.idleMillis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, idle.toMillis()));
        this.messageDeadlineNanos = Math.min(idle.toNanos(), MESSAGE_DEADLINE.toNanos());
    }

    /** Bytes of the shared budget not reserved now: for tests and reports. */
    static int budgetAvailable() {
        return BUDGET.availablePermits();
    }

    void requestSent(int requestId) {
        awaited.add(requestId);
    }

    /** A MSG_DATA or MSG_ERROR arrived for this id: no MSG_DATA is awaited for it any more. */
    void answered(int requestId) {
        awaited.remove(requestId);
    }

    @Override
    public void messageStarted() {
        deadline = System.nanoTime() + messageDeadlineNanos;
    }

    @Override
    public long admit(int type, int requestId, int length) throws IOException {
        if (type == (Message.DATA & 0xFF)) {
            if (!awaited.contains(requestId)) {
                throw new ProtocolException("request_id", 1, "MSG_DATA for request " + Integer.toUnsignedString(requestId)
                        + ", which this end did not send or was answered already");
            }
        } else if (length > MAX_CONTROL_LENGTH) {
            throw new ProtocolException("message length", 0, "declared " + length + " bytes for message type "
                    + type + "; only MSG_DATA may be longer than " + MAX_CONTROL_LENGTH);
        } else {
            return 0; // all of it is in the first frame, already read
        }
        long left = deadline - System.nanoTime();
        try {
            if (left <= 0 || !BUDGET.tryAcquire(length, left, TimeUnit.NANOSECONDS)) {
                throw new SocketTimeoutException("no room to receive a " + length + "-byte MSG_DATA within the message deadline ("
                        + BUDGET_BYTES + " bytes of messages in progress in this process)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted waiting for room to receive a message");
        }
        return length;
    }

    @Override
    public void messageEnded(long reserved) {
        deadline = 0;
        if (reserved > 0) BUDGET.release((int) reserved);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        long d = deadline;
        if (d == 0) {
            socket.setSoTimeout(idleMillis);
        } else {
            long left = d - System.nanoTime();
            if (left <= 0) throw new SocketTimeoutException("message not received whole within " + MESSAGE_DEADLINE.toSeconds() + " s of its first byte");
            socket.setSoTimeout((int) Math.min(idleMillis, Math.max(1, (left + 999_999) / 1_000_000)));
        }
        return in.read(b, off, len);
    }
}
