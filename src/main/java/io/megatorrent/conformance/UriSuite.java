package io.megatorrent.conformance;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.content.ChannelUri;
import io.megatorrent.content.ChannelUriException;
import java.util.List;

/**
 * {@code uri} (PROTOCOL_FINAL.md 6.7): {"uri", "valid"; valid: "publicKey", "readKey"?,
 * "bootstrap": [{"host", "port"}], "canonical"}. A valid URI parses to exactly those parts and
 * prints as "canonical", which parses back to the same parts; an invalid one is rejected.
 */
final class UriSuite implements Suite {
    @Override
    public void check(String suiteName, JsonObject v) throws Exception {
        String text = v.string("uri");
        boolean valid = v.bool("valid");
        ChannelUri u;
        try {
            u = ChannelUri.parse(text);
        } catch (ChannelUriException e) {
            Tally.require(!valid, "valid URI rejected: " + e.getMessage());
            return;
        }
        Tally.require(valid, "invalid URI was accepted");
        Tally.requireEqualHex(v.string("publicKey"), Hex.encode(u.publicKey()), "public key");
        Tally.require(u.isPrivate() == v.has("readKey"), u.isPrivate() ? "read key parsed but the vector has none" : "read key missing");
        if (u.isPrivate()) Tally.requireEqualHex(v.string("readKey"), Hex.encode(u.readKey()), "read key");
        List<JsonValue> nodes = v.array("bootstrap").items();
        Tally.require(nodes.size() == u.bootstrap().size(), "parsed " + u.bootstrap().size() + " bootstrap nodes, the vector has " + nodes.size());
        for (int i = 0; i < nodes.size(); i++) {
            JsonObject n = (JsonObject) nodes.get(i);
            ChannelUri.Bootstrap b = u.bootstrap().get(i);
            Tally.require(n.string("host").equals(b.host()), "bootstrap " + i + " host: expected " + n.string("host") + ", got " + b.host());
            Tally.require(n.integer("port") == b.port(), "bootstrap " + i + " port: expected " + n.integer("port") + ", got " + b.port());
        }
        String canonical = v.string("canonical");
        Tally.require(u.format().equals(canonical), "canonical form differs: " + u.format());
        Tally.require(ChannelUri.parse(canonical).format().equals(canonical), "the canonical form does not print as itself");
    }
}
