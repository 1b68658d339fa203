package io.megatorrent.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.conformance.Conformance;
import io.megatorrent.testing.Peers;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Ed25519 cases where implementations disagree (PROTOCOL_FINAL.md section 2): built here
 * with the curve arithmetic written out, so each vector is exactly what its name says, and
 * checked to be in test-vectors/ed25519.json and to pass the conformance runner. Each is a
 * signature that a lenient verifier (cofactored, reducing encodings mod p, or accepting
 * small-order points) accepts and a strict one rejects; and one valid signature the strict
 * rules must not reject. A missing or changed vector fails with its JSON, to paste into the file.
 */
class Ed25519EdgeVectorsTest {
    private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
    private static final BigInteger L = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));
    private static final BigInteger D = BigInteger.valueOf(-121665).multiply(BigInteger.valueOf(121666).modInverse(P)).mod(P);
    private static final BigInteger SQRT_M1 = BigInteger.TWO.modPow(P.subtract(BigInteger.ONE).shiftRight(2), P);
    private static final BigInteger[] IDENTITY = {BigInteger.ZERO, BigInteger.ONE};
    private static final BigInteger[] BASE = point(BigInteger.valueOf(4).multiply(BigInteger.valueOf(5).modInverse(P)).mod(P), false);
    private static final byte[] SEED = new byte[32];
    private static final byte[] MESSAGE = "megatorrent ed25519 edge case".getBytes(StandardCharsets.US_ASCII);

    static {
        Arrays.fill(SEED, (byte) 0x01);
    }

    // ---- curve arithmetic (affine twisted Edwards, a = -1; the formulas are complete) ----

    private static BigInteger[] add(BigInteger[] p1, BigInteger[] p2) {
        BigInteger x1 = p1[0], y1 = p1[1], x2 = p2[0], y2 = p2[1];
        BigInteger dxy = D.multiply(x1).multiply(x2).multiply(y1).multiply(y2).mod(P);
        BigInteger x3 = x1.multiply(y2).add(y1.multiply(x2)).multiply(BigInteger.ONE.add(dxy).modInverse(P)).mod(P);
        BigInteger y3 = y1.multiply(y2).add(x1.multiply(x2)).multiply(BigInteger.ONE.subtract(dxy).mod(P).modInverse(P)).mod(P);
        return new BigInteger[] {x3, y3};
    }

    private static BigInteger[] multiply(BigInteger[] q, BigInteger k) {
        BigInteger[] r = IDENTITY;
        for (int i = k.bitLength() - 1; i >= 0; i--) {
            r = add(r, r);
            if (k.testBit(i)) r = add(r, q);
        }
        return r;
    }

    /** The point with this y and x of the given sign (odd = negative), or null if y is on no point. */
    private static BigInteger[] point(BigInteger y, boolean odd) {
        BigInteger y2 = y.multiply(y).mod(P);
        BigInteger x2 = y2.subtract(BigInteger.ONE).multiply(D.multiply(y2).add(BigInteger.ONE).modInverse(P)).mod(P);
        BigInteger x = x2.modPow(P.add(BigInteger.valueOf(3)).shiftRight(3), P);
        if (x.multiply(x).subtract(x2).mod(P).signum() != 0) x = x.multiply(SQRT_M1).mod(P);
        if (x.multiply(x).subtract(x2).mod(P).signum() != 0) return null;
        if (x.testBit(0) != odd) x = P.subtract(x).mod(P);
        return new BigInteger[] {x, y};
    }

    private static byte[] encode(BigInteger[] q) {
        return encodeRaw(q[1], q[0].testBit(0));
    }

    /** 32 bytes little-endian of {@code y} (which may be p or more: a non-canonical encoding), sign bit on top. */
    private static byte[] encodeRaw(BigInteger y, boolean sign) {
        byte[] be = y.toByteArray();
        byte[] le = new byte[32];
        for (int i = 0; i < 32 && i < be.length; i++) le[i] = be[be.length - 1 - i];
        if (sign) le[31] |= (byte) 0x80;
        return le;
    }

    private static byte[] scalarBytes(BigInteger s) {
        return encodeRaw(s, false);
    }

    private static BigInteger sha512Scalar(byte[]... parts) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-512");
        for (byte[] part : parts) md.update(part);
        byte[] h = md.digest();
        byte[] be = new byte[64];
        for (int i = 0; i < 64; i++) be[i] = h[63 - i];
        return new BigInteger(1, be).mod(L);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A point of order exactly 8. */
    private static BigInteger[] orderEight() {
        for (int y0 = 2; ; y0++) {
            BigInteger[] q = point(BigInteger.valueOf(y0), false);
            if (q == null) continue;
            BigInteger[] t = multiply(q, L); // in the torsion subgroup
            if (!Arrays.equals(multiply(t, BigInteger.valueOf(4)), IDENTITY)) return t;
        }
    }

    // ---- the vectors ----

    private static JsonObject vector(String name, byte[] publicKey, byte[] message, byte[] r, byte[] s, boolean valid) {
        return JsonObject.builder().put("name", name).put("public", Hex.encode(publicKey)).put("message", Hex.encode(message))
                .put("signature", Hex.encode(concat(r, s))).put("valid", valid).build();
    }

    static List<JsonObject> generate() throws Exception {
        byte[] h = MessageDigest.getInstance("SHA-512").digest(SEED);
        byte[] clamped = Arrays.copyOf(h, 32);
        clamped[0] &= (byte) 248;
        clamped[31] &= 127;
        clamped[31] |= 64;
        byte[] beA = new byte[32];
        for (int i = 0; i < 32; i++) beA[i] = clamped[31 - i];
        BigInteger a = new BigInteger(1, beA);
        BigInteger[] pointA = multiply(BASE, a);
        byte[] pub = encode(pointA);
        assertEquals(Hex.encode(Ed25519.fromSeed(SEED).publicKey()), Hex.encode(pub), "the arithmetic derives the JDK's public key");
        byte[] prefix = Arrays.copyOfRange(h, 32, 64);
        BigInteger r = sha512Scalar(prefix, MESSAGE);
        BigInteger[] pointR = multiply(BASE, r);
        byte[] rEnc = encode(pointR);
        BigInteger k = sha512Scalar(rEnc, pub, MESSAGE);
        BigInteger s = r.add(k.multiply(a)).mod(L);
        assertEquals(Hex.encode(Ed25519.sign(SEED, MESSAGE)), Hex.encode(concat(rEnc, scalarBytes(s))), "the arithmetic signs as the JDK does");

        List<JsonObject> out = new ArrayList<>();
        out.add(vector("strict edge: the signature these vectors start from (seed 01*32), valid", pub, MESSAGE, rEnc, scalarBytes(s), true));

        // Cofactored verification ([8]SB = [8]R + [8]kA) accepts R + T for T of small order; cofactorless does not.
        BigInteger[] t8 = orderEight();
        BigInteger[] r2 = add(pointR, t8);
        byte[] r2Enc = encode(r2);
        BigInteger k2 = sha512Scalar(r2Enc, pub, MESSAGE);
        out.add(vector("strict edge: R plus a point of order 8, S = r + k*a (holds only with the cofactor)", pub, MESSAGE, r2Enc,
                scalarBytes(r.add(k2.multiply(a)).mod(L)), false));

        // Non-canonical R: the identity written with y = p + 1; S = k*a makes SB - kA the identity.
        byte[] rIdentityBig = encodeRaw(P.add(BigInteger.ONE), false);
        BigInteger k3 = sha512Scalar(rIdentityBig, pub, MESSAGE);
        out.add(vector("strict edge: non-canonical R (the identity as y = p + 1), S = k*a", pub, MESSAGE, rIdentityBig,
                scalarBytes(k3.multiply(a).mod(L)), false));

        // Small-order R written canonically: the equation holds without the cofactor, R is refused for its order.
        byte[] rIdentity = encode(IDENTITY);
        BigInteger k4 = sha512Scalar(rIdentity, pub, MESSAGE);
        out.add(vector("strict edge: R of small order (the identity, canonical), S = k*a", pub, MESSAGE, rIdentity,
                scalarBytes(k4.multiply(a).mod(L)), false));
        // R of order 8 with S = k*a: SB - kA is the identity, R differs from it by T; only [8] hides that.
        byte[] rT8 = encode(t8);
        BigInteger k5 = sha512Scalar(rT8, pub, MESSAGE);
        out.add(vector("strict edge: R of order 8, S = k*a (holds only with the cofactor)", pub, MESSAGE, rT8,
                scalarBytes(k5.multiply(a).mod(L)), false));

        // Non-canonical public keys: y >= p. The identity as y = p + 1 (small order too): any S with R = SB verifies leniently.
        byte[] aIdentityBig = encodeRaw(P.add(BigInteger.ONE), false);
        BigInteger s6 = sha512Scalar("s".getBytes(StandardCharsets.US_ASCII));
        byte[] r6 = encode(multiply(BASE, s6));
        out.add(vector("strict edge: non-canonical public key (the identity as y = p + 1), R = SB", aIdentityBig, MESSAGE, r6, scalarBytes(s6), false));
        // y = p + c for the smallest c >= 2 on the curve: a point of large order, encoded with y >= p.
        for (int c = 2; c < 19; c++) {
            BigInteger[] q = point(BigInteger.valueOf(c), false);
            if (q == null || Arrays.equals(multiply(q, BigInteger.valueOf(8)), IDENTITY)) continue;
            byte[] aBig = encodeRaw(P.add(BigInteger.valueOf(c)), false);
            // No signature under it can be built (its discrete log is unknown): this pins the encoding rule alone.
            out.add(vector("strict edge: non-canonical public key (y = p + " + c + ", a point of large order)", aBig, MESSAGE, rEnc, scalarBytes(s), false));
            break;
        }
        // S not below L.
        out.add(vector("strict edge: S + L in place of S", pub, MESSAGE, rEnc, scalarBytes(s.add(L)), false));
        return out;
    }

    private static Path file() {
        return Peers.projectDir().resolve("test-vectors").resolve("ed25519.json");
    }

    @Test
    void edgeVectorsAreInTheFileAndPass() throws Exception {
        List<JsonObject> edge = generate();
        JsonObject root = Json.parseObject(Files.readAllBytes(file()));
        List<JsonValue> all = root.array("vectors").items();
        for (JsonObject v : edge) assertTrue(all.contains(v), () -> "test-vectors/ed25519.json lacks " + Json.write(v));
        Conformance.FileResult r = Conformance.runFile(file());
        assertEquals(List.of(), r.failures());
        assertEquals(all.size(), r.passed());
    }

    @Test
    void verificationIsStrictOnEachCase() throws Exception {
        for (JsonObject v : generate()) {
            boolean ok = Ed25519.verify(Hex.decode(v.string("public")), Hex.decode(v.string("message")), Hex.decode(v.string("signature")));
            assertEquals(v.bool("valid"), ok, v.string("name"));
        }
    }
}
