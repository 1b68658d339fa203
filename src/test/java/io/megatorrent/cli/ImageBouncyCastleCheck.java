package io.megatorrent.cli;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.SecretWithEncapsulation;
import org.bouncycastle.crypto.digests.Blake2bDigest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMExtractor;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMGenerator;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMKeyGenerationParameters;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMKeyPairGenerator;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMParameters;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMPrivateKeyParameters;

/**
 * Run by {@link ImageIT} with the image's own java and the image's (trimmed) BouncyCastle jar:
 * every part of BouncyCastle the node, its benches and the ML-KEM fallback use still works
 * there. Prints one line and exits 0, or throws.
 */
public final class ImageBouncyCastleCheck {
    private ImageBouncyCastleCheck() {}

    public static void main(String[] args) throws Exception {
        HexFormat hex = HexFormat.of();
        byte[] abc = "abc".getBytes();
        // RFC 7693 Appendix A
        expect("BLAKE2b-512", digest(new Blake2bDigest(512), abc),
                "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
        expect("SHA-256", digest(new SHA256Digest(), abc), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

        ChaCha20Poly1305 aead = new ChaCha20Poly1305();
        byte[] key = new byte[32];
        byte[] nonce = new byte[12];
        aead.init(true, new AEADParameters(new KeyParameter(key), 128, nonce));
        byte[] sealed = new byte[abc.length + 16];
        aead.doFinal(sealed, aead.processBytes(abc, 0, abc.length, sealed, 0));
        aead.init(false, new AEADParameters(new KeyParameter(key), 128, nonce));
        byte[] opened = new byte[abc.length];
        aead.doFinal(opened, aead.processBytes(sealed, 0, sealed.length, opened, 0));
        if (!Arrays.equals(abc, opened)) throw new AssertionError("ChaCha20-Poly1305 round trip");

        Ed25519PrivateKeyParameters priv = new Ed25519PrivateKeyParameters(new byte[32], 0);
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, priv);
        signer.update(abc, 0, abc.length);
        byte[] sig = signer.generateSignature();
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, priv.generatePublicKey());
        verifier.update(abc, 0, abc.length);
        if (!verifier.verifySignature(sig)) throw new AssertionError("Ed25519 signature does not verify");

        SecureRandom random = new SecureRandom();
        MLKEMKeyPairGenerator kpg = new MLKEMKeyPairGenerator();
        kpg.init(new MLKEMKeyGenerationParameters(random, MLKEMParameters.ml_kem_768));
        AsymmetricCipherKeyPair pair = kpg.generateKeyPair();
        SecretWithEncapsulation sent = new MLKEMGenerator(random).generateEncapsulated(pair.getPublic());
        byte[] received = new MLKEMExtractor((MLKEMPrivateKeyParameters) pair.getPrivate()).extractSecret(sent.getEncapsulation());
        if (!Arrays.equals(sent.getSecret(), received)) throw new AssertionError("ML-KEM-768 shared secrets differ");

        System.out.println("image BouncyCastle: BLAKE2b, SHA-256, ChaCha20-Poly1305, Ed25519, ML-KEM-768 ok (" + hex.formatHex(sig, 0, 4) + "...)");
    }

    private static byte[] digest(org.bouncycastle.crypto.Digest d, byte[] in) {
        d.update(in, 0, in.length);
        byte[] out = new byte[d.getDigestSize()];
        d.doFinal(out, 0);
        return out;
    }

    private static void expect(String what, byte[] got, String hex) {
        if (!HexFormat.of().formatHex(got).equals(hex)) throw new AssertionError(what + ": " + HexFormat.of().formatHex(got));
    }
}
