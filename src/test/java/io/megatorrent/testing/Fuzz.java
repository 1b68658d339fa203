package io.megatorrent.testing;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assertions;

/**
 * A mutation fuzzer for one decoder: inputs grown from valid seeds (bit flips, byte
 * replacements, insertions, deletions, truncations, splices, interesting values at random
 * places) and from random bytes. Each input must decode or fail with the decoder's own
 * exception; nothing else may escape (no RuntimeException, no Error), no input may hang the run,
 * and no input may make the decoder allocate beyond its bound (a fixed part plus a factor of the
 * input's length: what a decoder that sizes buffers by declared lengths would exceed).
 *
 * <p>Inputs per decoder: the default build keeps the count each test gives; the fuzz profile
 * ({@code mvn verify -Pfuzz}) sets {@code megatorrent.fuzz.inputs} to 1,000,000 for every one.
 */
public final class Fuzz {
    private Fuzz() {}

    /** Decodes one input; returns normally or throws. */
    @FunctionalInterface
    public interface Decoder {
        void decode(byte[] input) throws Exception;
    }

    /** Inputs to run: the fuzz profile's count, else {@code defaultCount}. */
    public static int inputs(int defaultCount) {
        return Integer.getInteger("megatorrent.fuzz.inputs", defaultCount);
    }

    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /**
     * Runs {@link #inputs}(defaultCount) inputs of at most {@code maxLength} bytes through
     * {@code decoder}. {@code allowed}: the decoder's own exception types. Allocation per input
     * must stay within {@code fixedBytes + perInputByte * length}.
     */
    @SafeVarargs
    public static void run(String what, int defaultCount, long seed, List<byte[]> seeds, int maxLength, long fixedBytes, int perInputByte,
            Decoder decoder, Class<? extends Exception>... allowed) {
        int count = inputs(defaultCount);
        Duration limit = Duration.ofSeconds(120 + count / 2_000);
        Assertions.assertTimeoutPreemptively(limit, () -> {
            SplittableRandom rnd = new SplittableRandom(seed);
            long accepted = 0;
            long worstAllocation = 0;
            THREADS.setThreadAllocatedMemoryEnabled(true);
            for (int i = 0; i < count; i++) {
                byte[] input = next(rnd, seeds, maxLength);
                long before = THREADS.getCurrentThreadAllocatedBytes();
                try {
                    decoder.decode(input);
                    accepted++;
                } catch (Exception e) {
                    if (!isAllowed(e, allowed)) {
                        throw new AssertionError(what + ": input " + i + " (" + HexFormat.of().formatHex(input) + ") threw " + e, e);
                    }
                } catch (StackOverflowError | OutOfMemoryError e) {
                    throw new AssertionError(what + ": input " + i + " (" + HexFormat.of().formatHex(input) + ") threw " + e, e);
                }
                long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
                if (allocated > fixedBytes + (long) perInputByte * input.length) {
                    // the first use of a path initializes classes (and allocates for it): measure that input again
                    before = THREADS.getCurrentThreadAllocatedBytes();
                    try {
                        decoder.decode(input);
                    } catch (Exception again) {
                        // the same outcome as above
                    }
                    allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
                }
                worstAllocation = Math.max(worstAllocation, allocated - (long) perInputByte * input.length);
                if (allocated > fixedBytes + (long) perInputByte * input.length) {
                    throw new AssertionError(what + ": input " + i + " of " + input.length + " bytes made the decoder allocate " + allocated
                            + " bytes, over its bound of " + fixedBytes + " + " + perInputByte + " per input byte: " + HexFormat.of().formatHex(input));
                }
            }
            System.out.printf("fuzz %s: %d inputs, %d accepted, worst allocation %d bytes beyond %d per input byte%n",
                    what, count, accepted, worstAllocation, perInputByte);
        }, what + " fuzzing hung");
    }

    private static boolean isAllowed(Exception e, Class<? extends Exception>[] allowed) {
        for (Class<? extends Exception> c : allowed) if (c.isInstance(e)) return true;
        return false;
    }

    private static final byte[] INTERESTING = {0, 1, (byte) 0x7f, (byte) 0x80, (byte) 0xff, (byte) 0xfe, '0', '9', ':', 'e', 'i', 'l', 'd', '{', '[', '"'};

    private static byte[] next(SplittableRandom rnd, List<byte[]> seeds, int maxLength) {
        if (seeds.isEmpty() || rnd.nextInt(16) == 0) {
            byte[] b = new byte[rnd.nextInt(Math.min(maxLength, 256) + 1)];
            for (int i = 0; i < b.length; i++) b[i] = (byte) rnd.nextInt(256);
            return b;
        }
        byte[] b = seeds.get(rnd.nextInt(seeds.size())).clone();
        int mutations = 1 + rnd.nextInt(4);
        for (int m = 0; m < mutations; m++) {
            int at = b.length == 0 ? 0 : rnd.nextInt(b.length);
            switch (rnd.nextInt(7)) {
                case 0 -> { if (b.length > 0) b[at] ^= (byte) (1 << rnd.nextInt(8)); }
                case 1 -> { if (b.length > 0) b[at] = (byte) rnd.nextInt(256); }
                case 2 -> { if (b.length > 0) b[at] = INTERESTING[rnd.nextInt(INTERESTING.length)]; }
                case 3 -> b = java.util.Arrays.copyOf(b, b.length == 0 ? 0 : rnd.nextInt(b.length + 1)); // truncate
                case 4 -> { // insert a few bytes
                    int n = 1 + rnd.nextInt(8);
                    byte[] out = new byte[b.length + n];
                    System.arraycopy(b, 0, out, 0, at);
                    for (int k = 0; k < n; k++) out[at + k] = (byte) rnd.nextInt(256);
                    System.arraycopy(b, at, out, at + n, b.length - at);
                    b = out;
                }
                case 5 -> { // delete a few bytes
                    int n = Math.min(b.length - at, 1 + rnd.nextInt(8));
                    byte[] out = new byte[b.length - n];
                    System.arraycopy(b, 0, out, 0, at);
                    System.arraycopy(b, at + n, out, at, b.length - at - n);
                    b = out;
                }
                default -> { // splice another seed's tail
                    byte[] other = seeds.get(rnd.nextInt(seeds.size()));
                    int from = other.length == 0 ? 0 : rnd.nextInt(other.length);
                    byte[] out = java.util.Arrays.copyOf(b, at + other.length - from);
                    System.arraycopy(other, from, out, at, other.length - from);
                    b = out;
                }
            }
        }
        return b.length > maxLength ? java.util.Arrays.copyOf(b, maxLength) : b;
    }
}
