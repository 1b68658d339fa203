package io.megatorrent.conformance;

import io.megatorrent.codec.JsonValue.JsonObject;

/** Not implemented yet: every vector of such a file counts as failed. */
final class ManifestSuite implements Suite {
    @Override
    public void run(String suiteName, JsonObject root, Tally tally) {
        tally.failAll(Conformance.vectorCount(root, "vectors"), "suite '" + suiteName + "' is not implemented yet");
    }
}
