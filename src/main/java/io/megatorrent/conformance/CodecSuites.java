package io.megatorrent.conformance;

import io.megatorrent.codec.Bencode;
import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * {@code bencode}: {"hex", "valid"}; a valid input re-encodes to the same bytes, an invalid one is rejected.
 * {@code json}: {"text", "valid", "canonical"?}; a valid text parses and, when given, its RFC 8785
 * canonical form equals "canonical"; an invalid text is rejected.
 */
final class CodecSuites implements Suite {
    @Override
    public void check(String suiteName, JsonObject v) throws CodecException {
        if (suiteName.equals("bencode")) bencode(v);
        else json(v);
    }

    private static void bencode(JsonObject v) throws CodecException {
        byte[] input = Hex.decode(v.string("hex"));
        boolean valid = v.bool("valid");
        try {
            byte[] again = Bencode.encode(Bencode.decode(input));
            Tally.require(valid, "invalid input was accepted");
            Tally.require(Arrays.equals(input, again), "re-encoding differs: " + Hex.encode(again));
        } catch (CodecException e) {
            Tally.require(!valid, "valid input rejected: " + e.getMessage());
        }
    }

    private static void json(JsonObject v) throws CodecException {
        String text = v.string("text");
        boolean valid = v.bool("valid");
        try {
            var parsed = Json.parse(text.getBytes(StandardCharsets.UTF_8));
            Tally.require(valid, "invalid input was accepted");
            if (v.has("canonical")) {
                String canonical = new String(Json.canonical(parsed), StandardCharsets.UTF_8);
                Tally.require(canonical.equals(v.string("canonical")), "canonical form differs: " + canonical);
            }
        } catch (CodecException e) {
            Tally.require(!valid, "valid input rejected: " + e.getMessage());
        }
    }
}
