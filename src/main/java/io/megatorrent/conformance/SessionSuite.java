package io.megatorrent.conformance;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.ProtocolException;
import io.megatorrent.transport.SessionRules;
import java.util.List;

/**
 * {@code session} (PROTOCOL_FINAL.md 4.5, rules across messages): {"messages": [{"from": "us" |
 * "peer", "message"}], "valid"; invalid: "error_field"}. One side's rules are fed the sequence
 * in order (what we send, what the peer sends); a valid sequence passes whole, an invalid one
 * fails exactly at its last message, a message from the peer, naming error_field.
 */
final class SessionSuite implements Suite {
    @Override
    public void check(String suiteName, JsonObject v) throws Exception {
        boolean valid = v.bool("valid");
        List<JsonValue> messages = v.array("messages").items();
        SessionRules rules = new SessionRules();
        for (int i = 0; i < messages.size(); i++) {
            JsonObject entry = (JsonObject) messages.get(i);
            Message m = Message.decode(Hex.decode(entry.string("message")));
            boolean last = i == messages.size() - 1;
            switch (entry.string("from")) {
                case "us" -> rules.sending(m);
                case "peer" -> {
                    try {
                        rules.received(m);
                    } catch (ProtocolException e) {
                        Tally.require(!valid, "message " + i + " refused in a valid sequence: " + e.getMessage());
                        Tally.require(last, "message " + i + " refused, but the vector fails only at its last message: " + e.getMessage());
                        Tally.require(e.field().equals(v.string("error_field")), "refused for '" + e.field() + "', the vector says '" + v.string("error_field") + "'");
                        return;
                    }
                }
                default -> throw new AssertionError("'from' must be \"us\" or \"peer\", got " + entry.string("from"));
            }
        }
        Tally.require(valid, "the sequence was accepted but the vector says its last message is refused");
    }
}
