package io.megatorrent.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Hex;
import io.megatorrent.crypto.MlKem768;
import io.megatorrent.testing.Peers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wycheproof's ML-KEM-768 files, as published by C2SP/wycheproof (testvectors_v1), run through the
 * conformance runner when they are in ../shared/vectors (the decapsulation file is published as
 * mlkem_768_semi_expanded_decaps_test.json now, mlkem_768_decaps_test.json before); and the runner's reading of that format
 * checked on a file written here in it, with cases FIPS 203's input checks must reject.
 */
class MlKemWycheproofTest {
    private static Optional<Path> shared(String name) throws IOException {
        Path root = Peers.sharedVectors();
        if (!Files.isDirectory(root)) return Optional.empty();
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(f -> f.getFileName().toString().equals(name)).findFirst();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlkem_768_test.json", "mlkem_768_encaps_test.json", "mlkem_768_semi_expanded_decaps_test.json",
        "mlkem_768_decaps_test.json", "mlkem_768_keygen_seed_test.json"})
    void publishedFilesPass(String name) throws IOException {
        Optional<Path> file = shared(name);
        Assumptions.assumeTrue(file.isPresent(), "Wycheproof's " + name + " is not in " + Peers.sharedVectors()
                + " (C2SP/wycheproof testvectors_v1/" + name + "; put it there, as published, to run it)");
        Conformance.FileResult r = Conformance.runFile(file.get());
        assertTrue(r.passed() > 0, name + ": no case ran");
        assertEquals(0, r.failed(), name + ": " + r.failures());
    }

    @Test
    void theRunnerReadsThePublishedFormat(@TempDir Path dir) throws Exception {
        byte[] seed = new byte[64];
        for (int i = 0; i < seed.length; i++) seed[i] = (byte) (i * 7);
        MlKem768.KeyPair kp = MlKem768.fromSeed(seed);
        byte[] m = new byte[32];
        m[0] = 1;
        MlKem768.Encapsulation e = MlKem768.encapsulate(kp.publicKey(), m);
        byte[] badEk = kp.publicKey();
        badEk[0] = (byte) 0xFF;
        badEk[1] |= 0x0F; // first coefficient 4095 >= q
        String ek = Hex.encode(kp.publicKey());
        String c = Hex.encode(e.ciphertext());
        String k = Hex.encode(e.sharedSecret());
        Files.writeString(dir.resolve("mlkem_768_test.json"), """
                {"algorithm": "ML-KEM", "schema": "mlkem_test_schema.json", "numberOfTests": 3, "testGroups": [
                 {"type": "MLKEMTest", "source": {"name": "here"}, "parameterSet": "ML-KEM-768", "tests": [
                  {"tcId": 1, "seed": "%s", "ek": "%s", "c": "%s", "K": "%s", "result": "valid", "flags": []},
                  {"tcId": 2, "seed": "%s", "ek": "%s", "c": "%s", "K": "%s", "result": "invalid", "flags": []}]},
                 {"type": "MLKEMEncapsTest", "source": {"name": "here"}, "parameterSet": "ML-KEM-768", "tests": [
                  {"tcId": 3, "ek": "%s", "m": "%s", "c": "%s", "K": "%s", "result": "valid", "flags": []}]}]}
                """.formatted(Hex.encode(seed), ek, c, k, Hex.encode(seed), ek, c.substring(2), k, ek, Hex.encode(m), c, k));
        Files.writeString(dir.resolve("mlkem_768_encaps_test.json"), """
                {"algorithm": "ML-KEM", "schema": "mlkem_encaps_test_schema.json", "numberOfTests": 2, "testGroups": [
                 {"type": "MLKEMEncapsTest", "source": {"name": "here"}, "parameterSet": "ML-KEM-768", "tests": [
                  {"tcId": 1, "flags": [], "ek": "%s", "m": "%s", "c": "%s", "K": "%s", "result": "valid"},
                  {"tcId": 2, "flags": ["ModulusOverflow"], "ek": "%s", "m": "%s", "c": "", "K": "", "result": "invalid"}]}]}
                """.formatted(ek, Hex.encode(m), c, k, Hex.encode(badEk), Hex.encode(m)));
        byte[] dk = new org.bouncycastle.pqc.crypto.mlkem.MLKEMPrivateKeyParameters(
                org.bouncycastle.pqc.crypto.mlkem.MLKEMParameters.ml_kem_768, seed).getEncoded();
        byte[] badHash = dk.clone();
        badHash[1152 + 1184] ^= 1; // H(ek) no longer matches
        Files.writeString(dir.resolve("mlkem_768_decaps_test.json"), """
                {"algorithm": "ML-KEM", "schema": "mlkem_decaps_test_schema.json", "numberOfTests": 4, "testGroups": [
                 {"type": "MLKEMDecapsValidationTest", "source": {"name": "here"}, "parameterSet": "ML-KEM-768", "tests": [
                  {"tcId": 1, "flags": [], "dk": "%s", "c": "%s", "result": "valid"},
                  {"tcId": 2, "flags": ["IncorrectCiphertextLength"], "dk": "%s", "c": "%s", "result": "invalid"},
                  {"tcId": 3, "flags": ["IncorrectDecapsulationKeyLength"], "dk": "%s", "c": "%s", "result": "invalid"},
                  {"tcId": 4, "flags": ["InvalidDecapsulationKey"], "dk": "%s", "c": "%s", "result": "invalid"}]}]}
                """.formatted(Hex.encode(dk), c, Hex.encode(dk), c + "00", Hex.encode(dk).substring(2), c, Hex.encode(badHash), c));
        for (String[] f : new String[][] {{"mlkem_768_test.json", "3"}, {"mlkem_768_encaps_test.json", "2"}, {"mlkem_768_decaps_test.json", "4"}}) {
            Conformance.FileResult r = Conformance.runFile(dir.resolve(f[0]));
            assertEquals(0, r.failed(), f[0] + ": " + r.failures());
            assertEquals(Integer.parseInt(f[1]), r.passed(), f[0]);
            assertTrue(r.format().contains("mlkem"), r.format());
        }
        // A valid case whose shared secret is wrong must fail: the runner compares bytes.
        Path wrong = dir.resolve("wrong.json");
        Files.writeString(wrong, Files.readString(dir.resolve("mlkem_768_encaps_test.json")).replaceFirst(k, "00" + k.substring(2)));
        assertEquals(1, Conformance.runFile(wrong).failed());
    }
}
