package io.megatorrent.transport;

import io.megatorrent.crypto.ChaChaPoly;
import io.megatorrent.crypto.CryptoException;
import io.megatorrent.crypto.HashFunction;
import io.megatorrent.crypto.X25519;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The Noise Protocol Framework, revision 34, restricted to what Megatorrent runs: DH 25519,
 * cipher ChaChaPoly, hash SHA256 or BLAKE2b, the patterns NN, XX and IK, no PSK. Section numbers
 * in comments are the spec's. The pattern table drives one handshake loop; nothing else varies.
 */
public final class Noise {
    public static final int DH_LENGTH = X25519.KEY_LENGTH;
    public static final int TAG_LENGTH = ChaChaPoly.TAG_LENGTH;
    /** Section 3: every Noise message, handshake or transport, is at most 65535 bytes. */
    public static final int MAX_MESSAGE_LENGTH = 65535;
    /** Section 5.1: nonce 2^64-1 is reserved (Rekey uses it); as an unsigned long it is -1. */
    static final long MAX_NONCE = -1L;

    private Noise() {}

    /** Handshake tokens, section 7.1. */
    private enum Token { E, S, EE, ES, SE, SS }

    /** The patterns we run (section 7.4 and 7.5): pre-message of the responder, then messages alternating from the initiator. */
    public enum Pattern {
        NN(false, List.of(List.of(Token.E), List.of(Token.E, Token.EE))),
        XX(false, List.of(List.of(Token.E), List.of(Token.E, Token.EE, Token.S, Token.ES), List.of(Token.S, Token.SE))),
        IK(true, List.of(List.of(Token.E, Token.ES, Token.S, Token.SS), List.of(Token.E, Token.EE, Token.SE)));

        /** Whether "<- s" is a pre-message: the initiator knows the responder's static key beforehand. */
        final boolean responderStaticKnown;
        final List<List<Token>> messages;

        Pattern(boolean responderStaticKnown, List<List<Token>> messages) {
            this.responderStaticKnown = responderStaticKnown;
            this.messages = messages;
        }

        /** Number of handshake messages. */
        public int length() {
            return messages.size();
        }

        boolean initiatorHasStatic() {
            return this != NN;
        }

        boolean responderHasStatic() {
            return this != NN;
        }
    }

    /** A parsed protocol name "Noise_PATTERN_25519_ChaChaPoly_HASH". */
    public record Protocol(Pattern pattern, HashFunction hash) {
        public static Protocol parse(String name) {
            String[] parts = name.split("_", -1);
            if (parts.length != 5 || !parts[0].equals("Noise") || !parts[2].equals("25519") || !parts[3].equals("ChaChaPoly")) {
                throw new IllegalArgumentException("unsupported Noise protocol " + name + " (only *_25519_ChaChaPoly_SHA256|BLAKE2b)");
            }
            Pattern pattern;
            try {
                pattern = Pattern.valueOf(parts[1]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unsupported Noise pattern " + parts[1] + " (NN, XX, IK)");
            }
            for (HashFunction h : HashFunction.values()) {
                if (h.noiseName().equals(parts[4])) return new Protocol(pattern, h);
            }
            throw new IllegalArgumentException("unsupported Noise hash " + parts[4] + " (SHA256, BLAKE2b)");
        }

        public String name() {
            return "Noise_" + pattern + "_25519_ChaChaPoly_" + hash.noiseName();
        }
    }

    /** Section 5.1: a key and a nonce counter. Not thread-safe; each direction owns one. */
    public static final class CipherState {
        private byte[] key; // null: no key yet, encryption is the identity
        private ChaChaPoly aead;
        private long nonce; // unsigned
        private final byte[] nonceBytes = new byte[ChaChaPoly.NONCE_LENGTH];

        CipherState() {}

        /** A transport cipher state with {@code key} at nonce {@code nonce}: for vectors and framing tests. */
        public CipherState(byte[] key, long nonce) {
            initializeKey(key);
            this.nonce = nonce;
        }

        void initializeKey(byte[] k) {
            if (k.length != ChaChaPoly.KEY_LENGTH) throw new IllegalArgumentException("cipher key must be 32 bytes");
            key = k.clone();
            aead = new ChaChaPoly(key);
            nonce = 0;
        }

        public boolean hasKey() {
            return key != null;
        }

        /** The next nonce to be used, as an unsigned 64-bit value. */
        public long nonce() {
            return nonce;
        }

        /** Section 5.1 ENCRYPT nonce: 32 bits of zeros, then the 64-bit counter little-endian. */
        private byte[] nonceBytes(long n) {
            for (int i = 0; i < 8; i++) nonceBytes[4 + i] = (byte) (n >>> (8 * i));
            return nonceBytes;
        }

        private void checkNonce() throws CryptoException {
            if (nonce == MAX_NONCE) throw new CryptoException("nonce exhausted: 2^64-1 messages sent with one key");
        }

        public byte[] encryptWithAd(byte[] ad, byte[] plaintext) throws CryptoException {
            if (key == null) return plaintext.clone();
            byte[] out = new byte[plaintext.length + TAG_LENGTH];
            encryptWithAd(ad, plaintext, 0, plaintext.length, out, 0);
            return out;
        }

        /** Encrypts {@code in[off, off+len)} into {@code out} at {@code outOff}; writes len + 16 bytes. */
        public int encryptWithAd(byte[] ad, byte[] in, int off, int len, byte[] out, int outOff) throws CryptoException {
            if (key == null) throw new IllegalStateException("transport cipher without a key");
            checkNonce();
            int n = aead.seal(nonceBytes(nonce), ad, in, off, len, out, outOff);
            nonce++;
            return n;
        }

        public byte[] decryptWithAd(byte[] ad, byte[] ciphertext) throws CryptoException {
            if (key == null) return ciphertext.clone();
            if (ciphertext.length < TAG_LENGTH) throw new CryptoException("ciphertext shorter than the 16-byte tag");
            byte[] out = new byte[ciphertext.length - TAG_LENGTH];
            decryptWithAd(ad, ciphertext, 0, ciphertext.length, out, 0);
            return out;
        }

        /** Decrypts {@code in[off, off+len)}; the nonce advances only when the tag is good. */
        public int decryptWithAd(byte[] ad, byte[] in, int off, int len, byte[] out, int outOff) throws CryptoException {
            if (key == null) throw new IllegalStateException("transport cipher without a key");
            checkNonce();
            int n = aead.open(nonceBytes(nonce), ad, in, off, len, out, outOff);
            nonce++;
            return n;
        }

        /** Section 4.2 REKEY for ChaChaPoly: k = ENCRYPT(k, maxnonce, zerolen, zeros)[:32]; the counter goes on. */
        public void rekey() {
            byte[] next = Arrays.copyOf(aead.seal(nonceBytes(MAX_NONCE), null, new byte[32]), 32);
            long n = nonce;
            initializeKey(next);
            nonce = n;
        }
    }

    /** Section 5.2: chaining key, handshake hash, and the cipher state they key. */
    static final class SymmetricState {
        final HashFunction hash;
        final CipherState cipher = new CipherState();
        byte[] ck;
        byte[] h;

        SymmetricState(HashFunction hash, String protocolName) {
            this.hash = hash;
            byte[] name = protocolName.getBytes(StandardCharsets.US_ASCII);
            h = name.length <= hash.hashLength() ? Arrays.copyOf(name, hash.hashLength()) : hash.hash(name);
            ck = h.clone();
        }

        void mixKey(byte[] inputKeyMaterial) {
            byte[][] out = hash.noiseHkdf(ck, inputKeyMaterial, 2);
            ck = out[0];
            cipher.initializeKey(Arrays.copyOf(out[1], 32)); // truncated when HASHLEN is 64
        }

        void mixHash(byte[] data) {
            h = hash.hash(h, data);
        }

        byte[] encryptAndHash(byte[] plaintext) throws CryptoException {
            byte[] ct = cipher.encryptWithAd(h, plaintext);
            mixHash(ct);
            return ct;
        }

        byte[] decryptAndHash(byte[] ciphertext) throws CryptoException {
            byte[] pt = cipher.decryptWithAd(h, ciphertext);
            mixHash(ciphertext);
            return pt;
        }

        CipherState[] split() {
            byte[][] out = hash.noiseHkdf(ck, new byte[0], 2);
            CipherState c1 = new CipherState();
            CipherState c2 = new CipherState();
            c1.initializeKey(Arrays.copyOf(out[0], 32));
            c2.initializeKey(Arrays.copyOf(out[1], 32));
            return new CipherState[] {c1, c2};
        }
    }

    /** The two transport cipher states after a handshake, from this party's point of view. */
    public record Transport(CipherState send, CipherState receive, byte[] handshakeHash, byte[] remoteStatic) {}

    /**
     * Section 5.3. Call {@link #writeMessage} and {@link #readMessage} in turn (the initiator writes
     * first) until {@link #isComplete}; then {@link #split}. Any exception leaves the state unusable:
     * the caller drops the connection.
     */
    public static final class HandshakeState {
        private final Protocol protocol;
        private final boolean initiator;
        private final SymmetricState symmetric;
        private final X25519.KeyPair s;
        private X25519.KeyPair e;
        private byte[] rs;
        private byte[] re;
        private int messageIndex;
        private boolean failed;

        /**
         * @param localStatic required for XX and IK, ignored for NN
         * @param localEphemeral null to generate a fresh one (only vectors inject it)
         * @param remoteStatic the responder's public key, required for an IK initiator
         */
        public HandshakeState(Protocol protocol, boolean initiator, byte[] prologue, X25519.KeyPair localStatic,
                X25519.KeyPair localEphemeral, byte[] remoteStatic) {
            this.protocol = protocol;
            this.initiator = initiator;
            Pattern p = protocol.pattern();
            boolean needStatic = initiator ? p.initiatorHasStatic() : p.responderHasStatic();
            if (needStatic && localStatic == null) throw new IllegalArgumentException(p + " needs a local static key");
            this.s = needStatic ? localStatic : null;
            this.e = localEphemeral;
            this.symmetric = new SymmetricState(protocol.hash(), protocol.name());
            symmetric.mixHash(prologue);
            if (p.responderStaticKnown) {
                if (initiator) {
                    if (remoteStatic == null || remoteStatic.length != DH_LENGTH) {
                        throw new IllegalArgumentException(p + " initiator needs the responder's 32-byte static key");
                    }
                    rs = remoteStatic.clone();
                    symmetric.mixHash(rs);
                } else {
                    symmetric.mixHash(s.publicKey());
                }
            }
        }

        public boolean isInitiator() {
            return initiator;
        }

        /** Whether it is this party's turn to write. */
        public boolean isMyTurn() {
            return !isComplete() && ((messageIndex % 2 == 0) == initiator);
        }

        public boolean isComplete() {
            return messageIndex == protocol.pattern().length();
        }

        public byte[] handshakeHash() {
            return symmetric.h.clone();
        }

        /** The peer's static public key once received (or given, for IK), else null. */
        public byte[] remoteStatic() {
            return rs == null ? null : rs.clone();
        }

        public byte[] writeMessage(byte[] payload) throws CryptoException {
            if (!isMyTurn() || failed) throw new IllegalStateException("not this party's turn to write");
            failed = true; // cleared when the message is complete
            byte[] out = new byte[0];
            for (Token t : protocol.pattern().messages.get(messageIndex)) {
                switch (t) {
                    case E -> {
                        if (e == null) e = X25519.generate();
                        byte[] pub = e.publicKey();
                        out = concat(out, pub);
                        symmetric.mixHash(pub);
                    }
                    case S -> out = concat(out, symmetric.encryptAndHash(s.publicKey()));
                    default -> mixDh(t);
                }
            }
            out = concat(out, symmetric.encryptAndHash(payload));
            if (out.length > MAX_MESSAGE_LENGTH) throw new IllegalArgumentException("handshake message over 65535 bytes");
            messageIndex++;
            failed = false;
            return out;
        }

        /** Returns the payload; throws CryptoException on a bad key, tag or length. */
        public byte[] readMessage(byte[] message) throws CryptoException {
            if (isComplete() || isMyTurn() || failed) throw new IllegalStateException("not this party's turn to read");
            if (message.length > MAX_MESSAGE_LENGTH) throw new CryptoException("handshake message over 65535 bytes");
            failed = true;
            int off = 0;
            for (Token t : protocol.pattern().messages.get(messageIndex)) {
                switch (t) {
                    case E -> {
                        if (message.length - off < DH_LENGTH) throw new CryptoException("handshake message too short at offset " + off);
                        re = Arrays.copyOfRange(message, off, off + DH_LENGTH);
                        off += DH_LENGTH;
                        symmetric.mixHash(re);
                    }
                    case S -> {
                        int len = DH_LENGTH + (symmetric.cipher.hasKey() ? TAG_LENGTH : 0);
                        if (message.length - off < len) throw new CryptoException("handshake message too short at offset " + off);
                        rs = symmetric.decryptAndHash(Arrays.copyOfRange(message, off, off + len));
                        off += len;
                    }
                    default -> mixDh(t);
                }
            }
            byte[] payload = symmetric.decryptAndHash(Arrays.copyOfRange(message, off, message.length));
            messageIndex++;
            failed = false;
            return payload;
        }

        private void mixDh(Token t) throws CryptoException {
            byte[] shared = switch (t) {
                case EE -> X25519.compute(e.privateKey(), re);
                case ES -> initiator ? X25519.compute(e.privateKey(), rs) : X25519.compute(s.privateKey(), re);
                case SE -> initiator ? X25519.compute(s.privateKey(), re) : X25519.compute(e.privateKey(), rs);
                case SS -> X25519.compute(s.privateKey(), rs);
                default -> throw new IllegalStateException("not a DH token: " + t);
            };
            symmetric.mixKey(shared);
        }

        /** Section 5.2 Split, oriented: the initiator sends with the first key, the responder with the second. */
        public Transport split() {
            if (!isComplete() || failed) throw new IllegalStateException("handshake not complete");
            CipherState[] c = symmetric.split();
            return initiator
                    ? new Transport(c[0], c[1], handshakeHash(), remoteStatic())
                    : new Transport(c[1], c[0], handshakeHash(), remoteStatic());
        }

        private static byte[] concat(byte[] a, byte[] b) {
            byte[] out = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, out, a.length, b.length);
            return out;
        }
    }
}
