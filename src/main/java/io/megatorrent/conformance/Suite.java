package io.megatorrent.conformance;

import io.megatorrent.codec.JsonValue.JsonObject;

/** Runs the vectors of one file whose format it knows. */
interface Suite {
    void run(String suiteName, JsonObject root, Tally tally) throws Exception;
}
