package io.megatorrent.transport;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The rules of PROTOCOL_FINAL.md 4.5 that span messages on one connection, as one side sees
 * them: the peer's first message is MSG_HELLO; a request id is outstanding from the request
 * until its answer; the peer may not reuse an id of its own that is still outstanding, nor
 * answer an id of ours that is not, nor keep more than {@link #MAX_OUTSTANDING} requests
 * unanswered. {@link Connection} applies them to every message; a breach is a
 * {@link ProtocolException} and closes the connection without an answer (4.6).
 *
 * <p>Requests: MSG_REQUEST, MSG_FIND_PEERS, MSG_PUBLISH, MSG_DHT_QUERY. Answers: MSG_DATA,
 * MSG_OK, MSG_DHT_RESPONSE, and MSG_PEERS or MSG_ERROR with a non-zero id. Everything else
 * (MSG_HELLO, MSG_ANNOUNCE, id-0 MSG_PEERS and MSG_ERROR) is neither.
 */
public final class SessionRules {
    /** Requests one side may have outstanding on a connection; the next one closes it. */
    public static final int MAX_OUTSTANDING = 1024;

    private volatile boolean helloReceived;
    /** Ids of our requests not yet answered. */
    private final Set<Integer> ours = ConcurrentHashMap.newKeySet();
    /** Ids of the peer's requests we have not answered yet. */
    private final Set<Integer> theirs = ConcurrentHashMap.newKeySet();

    /** What a message is to the request/answer bookkeeping. */
    enum Role { REQUEST, ANSWER, NEITHER }

    static Role roleOf(Message m) {
        if (m instanceof Message.Request || m instanceof Message.FindPeers || m instanceof Message.Publish || m instanceof Message.DhtQuery
                || m instanceof Message.GetPointer || m instanceof Message.LedgerPropose || m instanceof Message.LedgerGetChain) {
            return Role.REQUEST;
        }
        if (m instanceof Message.Data || m instanceof Message.Ok || m instanceof Message.DhtResponse || m instanceof Message.Pointer
                || m instanceof Message.LedgerAgree) {
            return Role.ANSWER;
        }
        if (m instanceof Message.LedgerChain && m.requestId() != 0) return Role.ANSWER;
        if ((m instanceof Message.Peers || m instanceof Message.Error) && m.requestId() != 0) return Role.ANSWER;
        return Role.NEITHER;
    }

    /**
     * Records a message we are about to send: a request's id becomes outstanding, an answer
     * settles the peer's request. The sender's own mistakes are not refused here (the peer
     * does that); our node picks fresh ids ({@link Connection#nextRequestId}) and answers once.
     */
    public void sending(Message m) {
        switch (roleOf(m)) {
            case REQUEST -> ours.add(m.requestId());
            case ANSWER -> theirs.remove(m.requestId());
            case NEITHER -> { }
        }
    }

    /** Checks a message just received from the peer; throws when it breaks the rules. */
    public void received(Message m) throws ProtocolException {
        if (!helloReceived) {
            if (!(m instanceof Message.Hello)) {
                throw new ProtocolException("type", 0, name(m) + " before MSG_HELLO: the first message must be MSG_HELLO");
            }
            helloReceived = true;
            return;
        }
        int id = m.requestId();
        switch (roleOf(m)) {
            case REQUEST -> {
                if (theirs.contains(id)) {
                    throw new ProtocolException("request_id", 1, "request id " + Integer.toUnsignedString(id) + " reused while its request is outstanding");
                }
                if (theirs.size() >= MAX_OUTSTANDING) {
                    throw new ProtocolException("request_id", 1, "more than " + MAX_OUTSTANDING + " requests outstanding");
                }
                theirs.add(id);
            }
            case ANSWER -> {
                if (!ours.remove(id)) {
                    throw new ProtocolException("request_id", 1, name(m) + " with id " + Integer.toUnsignedString(id) + " answers no outstanding request");
                }
            }
            case NEITHER -> { }
        }
    }

    private static String name(Message m) {
        return String.format("message type 0x%02x", Message.typeOf(m) & 0xFF);
    }
}
