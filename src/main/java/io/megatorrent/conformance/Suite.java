package io.megatorrent.conformance;

import io.megatorrent.codec.JsonValue.JsonObject;

/** Checks the vectors of the suites it knows, one at a time. */
interface Suite {
    /** Returns normally when {@code vector} passes; throws (any exception or AssertionError) when it fails. */
    void check(String suiteName, JsonObject vector) throws Exception;
}
