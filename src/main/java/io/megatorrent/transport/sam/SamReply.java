package io.megatorrent.transport.sam;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One reply line from the bridge: two words (e.g. "SESSION STATUS") then KEY=VALUE pairs
 * separated by single spaces. A value may be double-quoted, in which case it may hold spaces
 * and the escapes \" and \\. Parsing is strict: anything else is a {@link SamException}.
 */
record SamReply(String topic, String op, Map<String, String> values) {
    /** Longest line we read: a DEST REPLY with an Ed25519 PUB and PRIV is about 1,500 bytes. */
    static final int MAX_LINE_LENGTH = 8192;
    /** Most KEY=VALUE pairs in one line; SAM 3.1 replies carry at most four. */
    static final int MAX_PAIRS = 32;

    String get(String key) {
        return values.get(key);
    }

    String require(String key) throws SamException {
        String v = values.get(key);
        if (v == null) throw SamException.protocol(topic + " " + op + " reply lacks " + key + "=");
        return v;
    }

    /** Throws unless the reply is {@code topic op} and RESULT=OK. */
    SamReply expectOk(String command, String topic, String op) throws SamException {
        if (!this.topic.equals(topic) || !this.op.equals(op)) {
            throw SamException.protocol("expected a " + topic + " " + op + " reply to " + command + ", got "
                    + this.topic + " " + this.op);
        }
        String result = require("RESULT");
        if (!result.equals("OK")) throw SamException.result(command, result, get("MESSAGE"));
        return this;
    }

    static SamReply parse(String line) throws SamException {
        if (line.length() > MAX_LINE_LENGTH) throw SamException.protocol("reply line longer than " + MAX_LINE_LENGTH);
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw SamException.protocol(String.format("reply has byte 0x%02x at offset %d", (int) c, i));
            }
        }
        int p = 0;
        int sp1 = line.indexOf(' ');
        if (sp1 <= 0) throw SamException.protocol("reply has no topic and operation: \"" + abbreviate(line) + "\"");
        String topic = line.substring(0, sp1);
        int sp2 = line.indexOf(' ', sp1 + 1);
        String op = sp2 < 0 ? line.substring(sp1 + 1) : line.substring(sp1 + 1, sp2);
        checkWord(topic, 0);
        checkWord(op, sp1 + 1);
        Map<String, String> values = new LinkedHashMap<>();
        p = sp2 < 0 ? line.length() : sp2;
        while (p < line.length()) {
            if (line.charAt(p) != ' ') throw SamException.protocol("expected a space at offset " + p);
            p++;
            int keyStart = p;
            while (p < line.length() && line.charAt(p) != '=' && line.charAt(p) != ' ') p++;
            String key = line.substring(keyStart, p);
            if (key.isEmpty()) throw SamException.protocol("empty key at offset " + keyStart);
            for (int i = 0; i < key.length(); i++) {
                char c = key.charAt(i);
                if (c == '"' || c == '\\') throw SamException.protocol("bad character in key at offset " + (keyStart + i));
            }
            String value;
            if (p == line.length() || line.charAt(p) == ' ') {
                value = ""; // SAM 3.2 allows a bare key meaning an empty value
            } else {
                p++; // '='
                if (p < line.length() && line.charAt(p) == '"') {
                    StringBuilder sb = new StringBuilder();
                    int open = p++;
                    boolean closed = false;
                    while (p < line.length()) {
                        char c = line.charAt(p++);
                        if (c == '"') {
                            closed = true;
                            break;
                        }
                        if (c == '\\') {
                            if (p == line.length()) break;
                            char e = line.charAt(p++);
                            if (e != '"' && e != '\\') throw SamException.protocol("bad escape \\" + e + " at offset " + (p - 2));
                            sb.append(e);
                        } else {
                            sb.append(c);
                        }
                    }
                    if (!closed) throw SamException.protocol("unterminated quoted value starting at offset " + open);
                    if (p < line.length() && line.charAt(p) != ' ') throw SamException.protocol("text after closing quote at offset " + p);
                    value = sb.toString();
                } else {
                    int valueStart = p;
                    while (p < line.length() && line.charAt(p) != ' ') {
                        if (line.charAt(p) == '"') throw SamException.protocol("stray quote at offset " + p);
                        p++;
                    }
                    value = line.substring(valueStart, p);
                }
            }
            if (values.size() >= MAX_PAIRS) throw SamException.protocol("more than " + MAX_PAIRS + " values in one reply");
            if (values.putIfAbsent(key, value) != null) throw SamException.protocol("key " + key + " repeated at offset " + keyStart);
        }
        return new SamReply(topic, op, Collections.unmodifiableMap(values));
    }

    private static void checkWord(String w, int offset) throws SamException {
        if (w.isEmpty()) throw SamException.protocol("empty word at offset " + offset);
        for (int i = 0; i < w.length(); i++) {
            char c = w.charAt(i);
            if (!(c >= 'A' && c <= 'Z')) throw SamException.protocol("reply word has '" + c + "' at offset " + (offset + i));
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
