package io.megatorrent.transport;

import io.megatorrent.crypto.CryptoException;
import io.megatorrent.crypto.HashFunction;
import io.megatorrent.crypto.X25519;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.channels.SocketChannel;
import java.util.Arrays;

/**
 * The v6 handshake exchange on a stream (PROTOCOL_FINAL.md 4.2): which Noise protocol runs, the
 * refusal of an offer the responder does not run, and the one fallback after it, bound to the
 * refused offer. The Noise state machine itself is {@link Noise}; this drives it frame by frame.
 */
final class Handshake {
    private static final System.Logger LOG = System.getLogger(Handshake.class.getName());
    static final Noise.Protocol XX_HFS = new Noise.Protocol(Noise.Pattern.XXhfs, HashFunction.BLAKE2B);
    static final Noise.Protocol IK_HFS = new Noise.Protocol(Noise.Pattern.IKhfs, HashFunction.BLAKE2B);
    /** The body of the refusal frame {@code 00 01 00}: "I do not run the handshake you offered". */
    static final byte REFUSAL = 0x00;
    private static final byte[] REFUSAL_FRAME = Framing.handshakeFrame(new byte[] {REFUSAL});
    private static final byte[] EMPTY = new byte[0];

    private Handshake() {}

    /** Pattern byte of the first frame for each protocol. */
    static byte patternByte(Noise.Protocol protocol) {
        return switch (protocol.pattern()) {
            case XX -> Connection.PATTERN_XX;
            case IK -> Connection.PATTERN_IK;
            case XXhfs -> Connection.PATTERN_XX_HFS;
            case IKhfs -> Connection.PATTERN_IK_HFS;
            default -> throw new IllegalArgumentException("v6 does not run " + protocol.name());
        };
    }

    /** The protocol a pattern byte names, or null for a byte no v6 handshake uses. */
    static Noise.Protocol protocolOf(byte patternByte) {
        return switch (patternByte) {
            case Connection.PATTERN_XX -> Connection.XX;
            case Connection.PATTERN_IK -> Connection.IK;
            case Connection.PATTERN_XX_HFS -> XX_HFS;
            case Connection.PATTERN_IK_HFS -> IK_HFS;
            default -> null;
        };
    }

    /**
     * The prologue of the handshake that follows a refusal: the v6 prologue, then the refused
     * first frame's body (pattern byte and Noise message) with its uint16be length, then the
     * refusal's body. Both ends mix the bytes they saw; any change to the offer or the refusal in
     * transit makes the fallback fail.
     */
    static byte[] fallbackPrologue(byte[] refusedOffer) {
        byte[] p = Arrays.copyOf(Connection.PROLOGUE, Connection.PROLOGUE.length + 2 + refusedOffer.length + 1);
        int at = Connection.PROLOGUE.length;
        p[at] = (byte) (refusedOffer.length >>> 8);
        p[at + 1] = (byte) refusedOffer.length;
        System.arraycopy(refusedOffer, 0, p, at + 2, refusedOffer.length);
        p[p.length - 1] = REFUSAL;
        return p;
    }

    /** First frame body: pattern byte || Noise message. */
    static byte[] offer(Noise.Protocol protocol, byte[] firstNoiseMessage) {
        byte[] body = new byte[1 + firstNoiseMessage.length];
        body[0] = patternByte(protocol);
        System.arraycopy(firstNoiseMessage, 0, body, 1, firstNoiseMessage.length);
        return body;
    }

    static boolean isRefusal(byte[] frameBody) {
        return frameBody.length == 1 && frameBody[0] == REFUSAL;
    }

    /** The initiator's side: hybrid first when the policy runs it; the classic fallback only after an explicit refusal. */
    static Noise.Transport initiate(SocketChannel channel, InputStream in, byte[] expectedRemoteStatic, X25519.KeyPair localStatic,
            HandshakePolicy policy, String peerName) throws IOException, CryptoException {
        boolean ik = expectedRemoteStatic != null;
        Noise.Protocol classic = ik ? Connection.IK : Connection.XX;
        if (!policy.hybrid()) return initiateWith(channel, in, classic, Connection.PROLOGUE, expectedRemoteStatic, localStatic, null);
        Noise.Protocol hybrid = ik ? IK_HFS : XX_HFS;
        byte[][] refused = new byte[1][];
        Noise.Transport t = initiateWith(channel, in, hybrid, Connection.PROLOGUE, expectedRemoteStatic, localStatic, refused);
        if (t != null) {
            policy.hybridPeers().add(t.remoteStatic());
            return t;
        }
        if (!policy.classic()) {
            throw new ProtocolException("pattern", 2, "the peer refused the hybrid handshake and classic handshakes are turned off here");
        }
        if (ik && policy.hybridPeers().contains(expectedRemoteStatic)) {
            throw new ProtocolException("pattern", 2, "the peer refused the hybrid handshake, but its static key ran it before: "
                    + "a downgrade attempt, not retried classic");
        }
        LOG.log(Level.DEBUG, "{0} refused the hybrid handshake: falling back to classic {1}, bound to the refused offer", peerName, classic.pattern());
        t = initiateWith(channel, in, classic, fallbackPrologue(refused[0]), expectedRemoteStatic, localStatic, null);
        if (policy.hybridPeers().contains(t.remoteStatic())) {
            throw new ProtocolException("pattern", 2, "the peer refused the hybrid handshake, but its static key ran it before: "
                    + "a downgrade attempt, the classic session is dropped");
        }
        return t;
    }

    /**
     * Runs {@code protocol} as initiator. When {@code refused} is given and the responder answers
     * the refusal frame, stores the refused offer there and returns null; otherwise a refusal is
     * an error.
     */
    private static Noise.Transport initiateWith(SocketChannel channel, InputStream in, Noise.Protocol protocol, byte[] prologue,
            byte[] expectedRemoteStatic, X25519.KeyPair localStatic, byte[][] refused) throws IOException, CryptoException {
        Noise.HandshakeState hs = new Noise.HandshakeState(protocol, true, prologue, localStatic, null, expectedRemoteStatic);
        byte[] offer = offer(protocol, hs.writeMessage(EMPTY));
        Connection.writeFully(channel, Framing.handshakeFrame(offer));
        byte[] reply = Framing.readHandshakeFrame(in, protocol.pattern().emptyPayloadLength(1));
        if (isRefusal(reply)) {
            if (refused == null) throw new ProtocolException("pattern", 2, "the peer refused the " + protocol.pattern() + " handshake");
            refused[0] = offer;
            return null;
        }
        requireEmpty(hs.readMessage(reply));
        if (!hs.isComplete()) Connection.writeFully(channel, Framing.handshakeFrame(hs.writeMessage(EMPTY)));
        return hs.split();
    }

    /** The responder's side: runs the offered handshake, or refuses it once and runs the one offered next. */
    static Noise.Transport respond(SocketChannel channel, InputStream in, X25519.KeyPair localStatic, HandshakePolicy policy, String peerName)
            throws IOException, CryptoException {
        byte[] first = Framing.readHandshakeFrame(in, Connection.MAX_HANDSHAKE_FRAME);
        byte[] prologue = Connection.PROLOGUE;
        Noise.Protocol protocol = offered(first);
        if (protocol == null || !policy.runs(protocol)) {
            LOG.log(Level.DEBUG, "{0} offered a handshake not run here (pattern byte 0x{1}): refusing it", peerName,
                    String.format("%02x", first[0] & 0xFF));
            Connection.writeFully(channel, REFUSAL_FRAME);
            prologue = fallbackPrologue(first);
            first = Framing.readHandshakeFrame(in, Connection.MAX_HANDSHAKE_FRAME);
            protocol = offered(first);
            if (protocol == null || !policy.runs(protocol)) {
                throw new ProtocolException("pattern", 2, String.format("second offer (pattern byte 0x%02x) is not run here either", first[0] & 0xFF));
            }
        }
        Noise.HandshakeState hs = new Noise.HandshakeState(protocol, false, prologue, localStatic, null, null);
        requireEmpty(hs.readMessage(Arrays.copyOfRange(first, 1, first.length)));
        Connection.writeFully(channel, Framing.handshakeFrame(hs.writeMessage(EMPTY)));
        if (!hs.isComplete()) requireEmpty(hs.readMessage(Framing.readHandshakeFrame(in, protocol.pattern().emptyPayloadLength(2))));
        Noise.Transport t = hs.split();
        if (protocol.pattern().hybrid()) policy.hybridPeers().add(t.remoteStatic());
        return t;
    }

    private static Noise.Protocol offered(byte[] firstFrameBody) throws ProtocolException {
        if (firstFrameBody.length < 1) throw new ProtocolException("pattern", 2, "empty first handshake frame");
        return protocolOf(firstFrameBody[0]);
    }

    static void requireEmpty(byte[] payload) throws ProtocolException {
        if (payload.length != 0) throw new ProtocolException("handshake payload", -1, "must be empty in protocol v6, got " + payload.length + " bytes");
    }
}
