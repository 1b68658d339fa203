package io.megatorrent.conformance;

import java.util.ArrayList;
import java.util.List;

/** Pass and fail counts of one vector file; each vector counts once. */
public final class Tally {
    /** A vector's check: returns normally to pass; throws (any exception or AssertionError) to fail. */
    @FunctionalInterface
    public interface Check {
        void run() throws Exception;
    }

    private int passed;
    private int failed;
    private final List<String> failures = new ArrayList<>();

    /** Runs one vector's check. */
    public void check(String vectorId, Check check) {
        try {
            check.run();
            passed++;
        } catch (Exception | AssertionError e) {
            fail(vectorId, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    public void fail(String vectorId, String reason) {
        failed++;
        failures.add(vectorId + ": " + reason);
    }

    /** Counts {@code count} vectors as failed for one reason (unsupported format, unknown suite). */
    public void failAll(int count, String reason) {
        failed += Math.max(count, 1);
        failures.add(reason);
    }

    public int passed() {
        return passed;
    }

    public int failed() {
        return failed;
    }

    public List<String> failures() {
        return List.copyOf(failures);
    }

    /** Throws an AssertionError with {@code message} unless {@code ok}. */
    public static void require(boolean ok, String message) {
        if (!ok) throw new AssertionError(message);
    }

    public static void requireEqualHex(String expected, String actual, String what) {
        if (!expected.equalsIgnoreCase(actual)) throw new AssertionError(what + ": expected " + expected + ", got " + actual);
    }
}
