package io.megatorrent.codec;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A JSON value (RFC 8259). Objects keep their members in insertion order; keys are unique. */
public sealed interface JsonValue
        permits JsonValue.JsonObject, JsonValue.JsonArray, JsonValue.JsonString, JsonValue.JsonNumber,
                JsonValue.JsonBool, JsonValue.JsonNull {

    /** Largest integer a JSON number carries exactly in every implementation (IEEE 754 double): 2^53 - 1. */
    long MAX_SAFE_INTEGER = (1L << 53) - 1;

    record JsonObject(Map<String, JsonValue> members) implements JsonValue {
        public JsonObject {
            members = Collections.unmodifiableMap(new LinkedHashMap<>(members));
        }

        public static Builder builder() {
            return new Builder();
        }

        public Optional<JsonValue> get(String key) {
            return Optional.ofNullable(members.get(key));
        }

        public boolean has(String key) {
            return members.containsKey(key);
        }

        /** The member, which must be present; the error names the key. */
        public JsonValue require(String key) throws CodecException {
            JsonValue v = members.get(key);
            if (v == null) throw new CodecException("missing field '" + key + "'", 0);
            return v;
        }

        public String string(String key) throws CodecException {
            if (require(key) instanceof JsonString s) return s.value();
            throw new CodecException("field '" + key + "' must be a string", 0);
        }

        public Optional<String> optString(String key) throws CodecException {
            return has(key) ? Optional.of(string(key)) : Optional.empty();
        }

        public long integer(String key) throws CodecException {
            if (require(key) instanceof JsonNumber n) return n.asLong(key);
            throw new CodecException("field '" + key + "' must be an integer", 0);
        }

        public boolean bool(String key) throws CodecException {
            if (require(key) instanceof JsonBool b) return b.value();
            throw new CodecException("field '" + key + "' must be true or false", 0);
        }

        public JsonObject object(String key) throws CodecException {
            if (require(key) instanceof JsonObject o) return o;
            throw new CodecException("field '" + key + "' must be an object", 0);
        }

        public JsonArray array(String key) throws CodecException {
            if (require(key) instanceof JsonArray a) return a;
            throw new CodecException("field '" + key + "' must be an array", 0);
        }

        public static final class Builder {
            private final LinkedHashMap<String, JsonValue> members = new LinkedHashMap<>();

            public Builder put(String key, JsonValue value) {
                members.put(key, value);
                return this;
            }

            public Builder put(String key, String value) {
                return put(key, value == null ? JsonNull.INSTANCE : new JsonString(value));
            }

            public Builder put(String key, long value) {
                return put(key, JsonNumber.of(value));
            }

            public Builder put(String key, boolean value) {
                return put(key, JsonBool.of(value));
            }

            public JsonObject build() {
                return new JsonObject(members);
            }
        }
    }

    record JsonArray(List<JsonValue> items) implements JsonValue {
        public JsonArray {
            items = List.copyOf(items);
        }
    }

    record JsonString(String value) implements JsonValue {}

    /** A number, kept as its exact decimal value. */
    record JsonNumber(BigDecimal value) implements JsonValue {
        public static JsonNumber of(long v) {
            return new JsonNumber(BigDecimal.valueOf(v));
        }

        /** The value as an integer; fails if it has a fraction or lies outside +-(2^53 - 1). */
        public long asLong(String what) throws CodecException {
            BigInteger i;
            try {
                i = value.toBigIntegerExact();
            } catch (ArithmeticException e) {
                throw new CodecException("'" + what + "' must be an integer, got " + value, 0);
            }
            if (i.abs().compareTo(BigInteger.valueOf(MAX_SAFE_INTEGER)) > 0) {
                throw new CodecException("'" + what + "' outside the exactly representable range +-(2^53-1)", 0);
            }
            return i.longValueExact();
        }

        public double asDouble() {
            return value.doubleValue();
        }
    }

    record JsonBool(boolean value) implements JsonValue {
        public static final JsonBool TRUE = new JsonBool(true);
        public static final JsonBool FALSE = new JsonBool(false);

        public static JsonBool of(boolean v) {
            return v ? TRUE : FALSE;
        }
    }

    record JsonNull() implements JsonValue {
        public static final JsonNull INSTANCE = new JsonNull();
    }
}
