package io.megatorrent.transport;

import io.megatorrent.crypto.ChaChaPoly;
import io.megatorrent.crypto.CryptoException;
import io.megatorrent.crypto.HashFunction;
import io.megatorrent.crypto.MlKem768;
import io.megatorrent.crypto.X25519;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The Noise Protocol Framework, revision 34, restricted to what Megatorrent runs: DH 25519,
 * cipher ChaChaPoly, hash SHA256 or BLAKE2b, the patterns NN, XX and IK, no PSK; and the Hybrid
 * Forward Secrecy modifier (Noise HFS: the tokens {@code e1} and {@code ekem1}) with ML-KEM-768 as
 * the KEM, on XX and IK ({@code XXhfs}, {@code IKhfs}, DH name {@code 25519+MLKEM768}). Section
 * numbers in comments are the Noise spec's. The pattern table drives one handshake loop; nothing
 * else varies.
 */
public final class Noise {
    public static final int DH_LENGTH = X25519.KEY_LENGTH;
    public static final int TAG_LENGTH = ChaChaPoly.TAG_LENGTH;
    /** Section 3: every Noise message, handshake or transport, is at most 65535 bytes. */
    public static final int MAX_MESSAGE_LENGTH = 65535;
    /** Section 5.1: nonce 2^64-1 is reserved (Rekey uses it); as an unsigned long it is -1. */
    static final long MAX_NONCE = -1L;

    private Noise() {}

    /**
     * Handshake tokens, section 7.1, and HFS's two: E1 sends a fresh KEM public key (encrypted
     * once a key exists), EKEM1 sends the encapsulation to the peer's and mixes its shared secret
     * into the chaining key, so the session keys depend on X25519 and ML-KEM alike.
     */
    private enum Token { E, S, EE, ES, SE, SS, E1, EKEM1 }

    /**
     * The patterns we run (section 7.4 and 7.5): pre-message of the responder, then messages
     * alternating from the initiator. The hfs ones follow the HFS rules: e1 right after the first
     * e, or after the DH token that follows it in the same message (so the key travels
     * encrypted); ekem1 right after the first ee.
     */
    public enum Pattern {
        NN(false, List.of(List.of(Token.E), List.of(Token.E, Token.EE))),
        XX(false, List.of(List.of(Token.E), List.of(Token.E, Token.EE, Token.S, Token.ES), List.of(Token.S, Token.SE))),
        IK(true, List.of(List.of(Token.E, Token.ES, Token.S, Token.SS), List.of(Token.E, Token.EE, Token.SE))),
        XXhfs(false, List.of(List.of(Token.E, Token.E1), List.of(Token.E, Token.EE, Token.EKEM1, Token.S, Token.ES), List.of(Token.S, Token.SE))),
        IKhfs(true, List.of(List.of(Token.E, Token.ES, Token.E1, Token.S, Token.SS), List.of(Token.E, Token.EE, Token.EKEM1, Token.SE)));

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

        /** Whether the pattern carries the HFS tokens (ML-KEM-768 beside X25519). */
        public boolean hybrid() {
            return this == XXhfs || this == IKhfs;
        }

        /** The classic pattern this one modifies (itself when classic). */
        public Pattern classic() {
            return switch (this) {
                case XXhfs -> XX;
                case IKhfs -> IK;
                default -> this;
            };
        }

        /** Length in bytes of handshake message {@code index} with an empty payload: v6 frames have exactly this length. */
        public int emptyPayloadLength(int index) {
            boolean keyed = false; // a cipher key exists once a DH token has run
            for (int i = 0; i < index; i++) {
                for (Token t : messages.get(i)) keyed |= t == Token.EE || t == Token.ES || t == Token.SE || t == Token.SS;
            }
            int length = 0;
            for (Token t : messages.get(index)) {
                switch (t) {
                    case E -> length += DH_LENGTH;
                    case S -> length += DH_LENGTH + (keyed ? TAG_LENGTH : 0);
                    case E1 -> length += MlKem768.PUBLIC_KEY_LENGTH + (keyed ? TAG_LENGTH : 0);
                    case EKEM1 -> length += MlKem768.CIPHERTEXT_LENGTH + (keyed ? TAG_LENGTH : 0);
                    default -> keyed = true;
                }
            }
            return length + (keyed ? TAG_LENGTH : 0);
        }

        boolean responderHasStatic() {
            return this != NN;
        }
    }

    /** The DH name of hybrid protocols (HFS section "Protocol naming": DH function + KEM). */
    public static final String HYBRID_DH_NAME = "25519+MLKEM768";

    /** A parsed protocol name "Noise_PATTERN_25519_ChaChaPoly_HASH", or "Noise_PATTERNhfs_25519+MLKEM768_ChaChaPoly_HASH". */
    public record Protocol(Pattern pattern, HashFunction hash) {
        public static Protocol parse(String name) {
            String[] parts = name.split("_", -1);
            if (parts.length != 5 || !parts[0].equals("Noise") || !parts[3].equals("ChaChaPoly")) {
                throw new IllegalArgumentException("unsupported Noise protocol " + name + " (only *_25519_ChaChaPoly_SHA256|BLAKE2b)");
            }
            Pattern pattern;
            try {
                pattern = Pattern.valueOf(parts[1]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unsupported Noise pattern " + parts[1] + " (NN, XX, IK, XXhfs, IKhfs)");
            }
            if (!parts[2].equals(pattern.hybrid() ? HYBRID_DH_NAME : "25519")) {
                throw new IllegalArgumentException("unsupported Noise DH " + parts[2] + " for " + pattern + " (25519, or 25519+MLKEM768 with hfs)");
            }
            for (HashFunction h : HashFunction.values()) {
                if (h.noiseName().equals(parts[4])) return new Protocol(pattern, h);
            }
            throw new IllegalArgumentException("unsupported Noise hash " + parts[4] + " (SHA256, BLAKE2b)");
        }

        public String name() {
            return "Noise_" + pattern + "_" + (pattern.hybrid() ? HYBRID_DH_NAME : "25519") + "_ChaChaPoly_" + hash.noiseName();
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

    /**
     * Fixed ML-KEM inputs for test vectors: {@code keySeed} = d || z of KeyGen_internal (64 bytes,
     * the initiator's e1), {@code encapsulationMessage} = m of Encaps_internal (32 bytes, the
     * responder's ekem1). Null fields are allowed for the role that does not use them.
     */
    public record KemRandomness(byte[] keySeed, byte[] encapsulationMessage) {
        public KemRandomness {
            keySeed = keySeed == null ? null : keySeed.clone();
            encapsulationMessage = encapsulationMessage == null ? null : encapsulationMessage.clone();
        }
    }

    /** The two transport cipher states after a handshake, from this party's point of view, and the protocol that made them. */
    public record Transport(CipherState send, CipherState receive, byte[] handshakeHash, byte[] remoteStatic, String protocolName) {
        public Transport(CipherState send, CipherState receive, byte[] handshakeHash, byte[] remoteStatic) {
            this(send, receive, handshakeHash, remoteStatic, null);
        }
    }

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
        /** HFS: our KEM key pair (initiator) and the peer's KEM public key (responder). */
        private MlKem768.KeyPair e1;
        private byte[] re1;
        private final KemRandomness kemRandomness;
        private int messageIndex;
        private boolean failed;

        /**
         * @param localStatic required for XX and IK, ignored for NN
         * @param localEphemeral null to generate a fresh one (only vectors inject it)
         * @param remoteStatic the responder's public key, required for an IK initiator
         */
        public HandshakeState(Protocol protocol, boolean initiator, byte[] prologue, X25519.KeyPair localStatic,
                X25519.KeyPair localEphemeral, byte[] remoteStatic) {
            this(protocol, initiator, prologue, localStatic, localEphemeral, remoteStatic, null);
        }

        /**
         * @param kemRandomness null for fresh randomness; fixed inputs of ML-KEM for vectors (only
         *     the part this party's role uses is read: the seed for e1, m for ekem1)
         */
        public HandshakeState(Protocol protocol, boolean initiator, byte[] prologue, X25519.KeyPair localStatic,
                X25519.KeyPair localEphemeral, byte[] remoteStatic, KemRandomness kemRandomness) {
            this.protocol = protocol;
            this.kemRandomness = kemRandomness;
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
                    case E1 -> {
                        e1 = kemRandomness != null ? MlKem768.fromSeed(kemRandomness.keySeed()) : MlKem768.generate();
                        out = concat(out, symmetric.encryptAndHash(e1.publicKey()));
                    }
                    case EKEM1 -> {
                        MlKem768.Encapsulation enc = kemRandomness != null
                                ? MlKem768.encapsulate(re1, kemRandomness.encapsulationMessage())
                                : MlKem768.encapsulate(re1);
                        out = concat(out, symmetric.encryptAndHash(enc.ciphertext()));
                        symmetric.mixKey(enc.sharedSecret());
                    }
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
                    case E1 -> {
                        int len = MlKem768.PUBLIC_KEY_LENGTH + (symmetric.cipher.hasKey() ? TAG_LENGTH : 0);
                        if (message.length - off < len) throw new CryptoException("handshake message too short for e1 at offset " + off);
                        re1 = symmetric.decryptAndHash(Arrays.copyOfRange(message, off, off + len));
                        off += len;
                        MlKem768.checkEncapsulationKey(re1); // FIPS 203 input check before we encapsulate to it
                    }
                    case EKEM1 -> {
                        int len = MlKem768.CIPHERTEXT_LENGTH + (symmetric.cipher.hasKey() ? TAG_LENGTH : 0);
                        if (message.length - off < len) throw new CryptoException("handshake message too short for ekem1 at offset " + off);
                        byte[] ct = symmetric.decryptAndHash(Arrays.copyOfRange(message, off, off + len));
                        off += len;
                        symmetric.mixKey(e1.decapsulate(ct));
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
                    ? new Transport(c[0], c[1], handshakeHash(), remoteStatic(), protocol.name())
                    : new Transport(c[1], c[0], handshakeHash(), remoteStatic(), protocol.name());
        }

        private static byte[] concat(byte[] a, byte[] b) {
            byte[] out = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, out, a.length, b.length);
            return out;
        }
    }
}
