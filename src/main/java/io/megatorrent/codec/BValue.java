package io.megatorrent.codec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/** A bencoded value (BEP 3): byte string, integer, list or dictionary. Immutable. */
public sealed interface BValue permits BValue.BBytes, BValue.BInt, BValue.BList, BValue.BDict {

    /** Byte string. Compared as unsigned bytes, the order bencode dictionaries sort their keys in. */
    record BBytes(byte[] bytes) implements BValue, Comparable<BBytes> {
        public BBytes {
            bytes = bytes.clone();
        }

        public static BBytes of(String utf8) {
            return new BBytes(utf8.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        public int length() {
            return bytes.length;
        }

        /** The bytes as UTF-8 text; malformed sequences become U+FFFD. */
        public String utf8() {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        @Override
        public int compareTo(BBytes o) {
            return Arrays.compareUnsigned(bytes, o.bytes);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof BBytes b && Arrays.equals(bytes, b.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "BBytes[" + Hex.encode(bytes) + "]";
        }

        // Internal access without a copy, for the encoder.
        byte[] raw() {
            return bytes;
        }
    }

    record BInt(long value) implements BValue {}

    record BList(List<BValue> items) implements BValue {
        public BList {
            items = List.copyOf(items);
        }

        public static BList of(BValue... items) {
            return new BList(List.of(items));
        }
    }

    /** Dictionary with byte-string keys, kept in bencode's canonical (sorted) order. */
    record BDict(SortedMap<BBytes, BValue> entries) implements BValue {
        public BDict {
            entries = Collections.unmodifiableSortedMap(new TreeMap<>(entries));
        }

        public static Builder builder() {
            return new Builder();
        }

        public Optional<BValue> get(String key) {
            return Optional.ofNullable(entries.get(BBytes.of(key)));
        }

        public boolean has(String key) {
            return entries.containsKey(BBytes.of(key));
        }

        /** The byte string under key, or empty if absent; a value of another type is an error. */
        public Optional<byte[]> bytes(String key) throws CodecException {
            BValue v = entries.get(BBytes.of(key));
            if (v == null) return Optional.empty();
            if (v instanceof BBytes b) return Optional.of(b.raw().clone());
            throw new CodecException("key '" + key + "' is not a byte string", 0);
        }

        public byte[] requireBytes(String key) throws CodecException {
            return bytes(key).orElseThrow(() -> new CodecException("missing key '" + key + "'", 0));
        }

        public Optional<Long> integer(String key) throws CodecException {
            BValue v = entries.get(BBytes.of(key));
            if (v == null) return Optional.empty();
            if (v instanceof BInt i) return Optional.of(i.value());
            throw new CodecException("key '" + key + "' is not an integer", 0);
        }

        public Optional<BDict> dict(String key) throws CodecException {
            BValue v = entries.get(BBytes.of(key));
            if (v == null) return Optional.empty();
            if (v instanceof BDict d) return Optional.of(d);
            throw new CodecException("key '" + key + "' is not a dictionary", 0);
        }

        public Optional<BList> list(String key) throws CodecException {
            BValue v = entries.get(BBytes.of(key));
            if (v == null) return Optional.empty();
            if (v instanceof BList l) return Optional.of(l);
            throw new CodecException("key '" + key + "' is not a list", 0);
        }

        public static final class Builder {
            private final TreeMap<BBytes, BValue> map = new TreeMap<>();

            public Builder put(String key, BValue value) {
                map.put(BBytes.of(key), value);
                return this;
            }

            public Builder put(String key, byte[] value) {
                return put(key, new BBytes(value));
            }

            public Builder put(String key, String utf8) {
                return put(key, BBytes.of(utf8));
            }

            public Builder put(String key, long value) {
                return put(key, new BInt(value));
            }

            public Builder putAll(Map<BBytes, BValue> entries) {
                map.putAll(entries);
                return this;
            }

            public BDict build() {
                return new BDict(map);
            }
        }
    }

    static List<BValue> listOf(Iterable<? extends BValue> values) {
        List<BValue> out = new ArrayList<>();
        values.forEach(out::add);
        return out;
    }
}
