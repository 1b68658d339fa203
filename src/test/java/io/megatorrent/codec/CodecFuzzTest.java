package io.megatorrent.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * Feeds random and mutated inputs to the bencode and JSON decoders: each input decodes or throws
 * CodecException, nothing else escapes (no RuntimeException, no StackOverflowError, no OOM), and
 * every accepted bencode input re-encodes to itself.
 */
class CodecFuzzTest {
    private static final int ITERATIONS = 120_000;
    private static final int MAX_INPUT = 512;

    private static final List<byte[]> BENCODE_SEEDS = List.of(
            b("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"),
            b("d1:rd2:id20:mnopqrstuvwxyz1234565:nodes26:abcdefghijklmnopqrstuvwxyze1:t2:aa1:y1:re"),
            b("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee"),
            b("l4:spami-42ei0eli1eleded1:x0:ee"),
            b("d3:bar4:spam3:fooi42ee"));
    private static final List<byte[]> JSON_SEEDS = List.of(
            b("{\"version\":6,\"items\":[{\"name\":\"a/b.txt\",\"size\":1048577,\"blobs\":[\"00ff\"]}],\"sig\":null}"),
            b("[1, -0.5e10, true, false, null, \"\\u20ac\\ud83d\\ude00\\n\", {\"a\": []}]"),
            b("{\"a\":{\"b\":{\"c\":[[[[1]]]]}}}"));

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void bencodeDecoderOnlyEverThrowsCodecException() {
        Assertions.assertTimeoutPreemptively(Duration.ofSeconds(120), () -> fuzz(BENCODE_SEEDS, "ile:dl0123456789-", input -> {
            try {
                BValue v = Bencode.decode(input);
                assertArrayEquals(input, Bencode.encode(v), "accepted input must be canonical");
                return true;
            } catch (CodecException e) {
                assertTrue(e.offset() >= 0 && e.offset() <= input.length, "offset within input");
                return false;
            }
        }));
    }

    @Test
    void jsonDecoderOnlyEverThrowsCodecException() {
        Assertions.assertTimeoutPreemptively(Duration.ofSeconds(120), () -> fuzz(JSON_SEEDS, "{}[]\":,0123456789.eE+-tfnul\\ ", input -> {
            try {
                JsonValue v = Json.parse(input);
                Json.parse(Json.canonical(v));
                return true;
            } catch (CodecException e) {
                return false;
            }
        }));
    }

    interface Decoder {
        boolean decode(byte[] input) throws Exception;
    }

    private static void fuzz(List<byte[]> seeds, String alphabet, Decoder decoder) throws Exception {
        SplittableRandom rnd = new SplittableRandom(0x6d656761L);
        List<byte[]> corpus = new ArrayList<>(seeds);
        int accepted = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] input = switch (i % 4) {
                case 0 -> random(rnd, alphabet);
                case 1 -> randomBytes(rnd);
                default -> mutate(rnd, corpus.get(rnd.nextInt(corpus.size())), alphabet);
            };
            boolean ok;
            try {
                ok = decoder.decode(input);
            } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                throw new AssertionError("decoder leaked " + e + " on input " + Hex.encode(input), e);
            }
            if (ok) {
                accepted++;
                if (corpus.size() < 1000) corpus.add(input);
            }
        }
        assertTrue(accepted > 0, "the fuzzer should also produce some valid inputs");
    }

    private static byte[] random(SplittableRandom rnd, String alphabet) {
        byte[] out = new byte[rnd.nextInt(64)];
        for (int i = 0; i < out.length; i++) out[i] = (byte) alphabet.charAt(rnd.nextInt(alphabet.length()));
        return out;
    }

    private static byte[] randomBytes(SplittableRandom rnd) {
        byte[] out = new byte[rnd.nextInt(64)];
        rnd.nextBytes(out);
        return out;
    }

    private static byte[] mutate(SplittableRandom rnd, byte[] seed, String alphabet) {
        byte[] out = seed.clone();
        int mutations = 1 + rnd.nextInt(4);
        for (int m = 0; m < mutations; m++) {
            int op = rnd.nextInt(6);
            if (out.length == 0) op = 2;
            switch (op) {
                case 0 -> out[rnd.nextInt(out.length)] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> out[rnd.nextInt(out.length)] = (byte) alphabet.charAt(rnd.nextInt(alphabet.length()));
                case 2 -> {
                    int at = rnd.nextInt(out.length + 1);
                    byte[] n = new byte[Math.min(out.length + 1, MAX_INPUT)];
                    System.arraycopy(out, 0, n, 0, Math.min(at, n.length));
                    if (at < n.length) n[at] = (byte) alphabet.charAt(rnd.nextInt(alphabet.length()));
                    if (at + 1 < n.length) System.arraycopy(out, at, n, at + 1, n.length - at - 1);
                    out = n;
                }
                case 3 -> out = java.util.Arrays.copyOf(out, rnd.nextInt(out.length + 1));
                case 4 -> {
                    int from = rnd.nextInt(out.length);
                    int len = Math.min(rnd.nextInt(out.length - from) + 1, MAX_INPUT - out.length);
                    byte[] n = new byte[out.length + Math.max(len, 0)];
                    System.arraycopy(out, 0, n, 0, out.length);
                    System.arraycopy(out, from, n, out.length, Math.max(len, 0));
                    out = n;
                }
                default -> {
                    // overwrite a run with digits: provokes huge lengths and integers
                    int at = rnd.nextInt(out.length);
                    for (int k = at; k < Math.min(out.length, at + 1 + rnd.nextInt(20)); k++) out[k] = (byte) ('0' + rnd.nextInt(10));
                }
            }
        }
        return out;
    }
}
