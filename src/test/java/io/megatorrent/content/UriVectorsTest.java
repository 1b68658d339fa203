package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.conformance.Conformance;
import io.megatorrent.testing.Peers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generates test-vectors/uri.json (section 6.7): each valid URI with the parts it parses to and
 * its canonical form, written here by hand and checked against {@link ChannelUri}; each invalid
 * one with why. Checks the committed file is exactly this and passes the conformance runner.
 * Regenerate with {@code -Dmegatorrent.writeVectors=true}.
 */
class UriVectorsTest {
    private static final String PUB = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    private static final String READ = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    private static final String BASE = "megatorrent://" + PUB;
    private static final String Q = BASE + "?bootstrap=";

    private final List<JsonObject> vectors = new ArrayList<>();

    /** A valid URI and the canonical form it must print; its parts are what the parser gives, checked by the runner against both. */
    private void valid(String name, String uri, String canonical) throws Exception {
        ChannelUri u = ChannelUri.parse(uri);
        assertEquals(canonical, u.format(), name);
        assertEquals(u, ChannelUri.parse(canonical), name + ": the canonical form parses to the same parts");
        List<JsonValue> nodes = new ArrayList<>();
        for (ChannelUri.Bootstrap b : u.bootstrap()) nodes.add(JsonObject.builder().put("host", b.host()).put("port", b.port()).build());
        JsonObject.Builder v = JsonObject.builder().put("name", name).put("uri", uri).put("valid", true).put("publicKey", Hex.encode(u.publicKey()));
        if (u.isPrivate()) v.put("readKey", Hex.encode(u.readKey()));
        vectors.add(v.put("bootstrap", new JsonArray(nodes)).put("canonical", canonical).build());
    }

    private void invalid(String name, String uri) {
        String why = assertThrows(ChannelUriException.class, () -> ChannelUri.parse(uri), name).getMessage();
        vectors.add(JsonObject.builder().put("name", name).put("uri", uri).put("valid", false).put("error", why).build());
    }

    private JsonObject generate() throws Exception {
        vectors.clear();
        valid("public channel", BASE, BASE);
        valid("scheme and keys in upper case print in lower case", "MegaTorrent://" + PUB.toUpperCase(), BASE);
        valid("private channel", BASE + ":" + READ, BASE + ":" + READ);
        valid("read key in mixed case", BASE + ":" + READ.substring(0, 32) + READ.substring(32).toUpperCase(), BASE + ":" + READ);
        valid("bootstrap by DNS name", Q + "router.bittorrent.com:6881", Q + "router.bittorrent.com:6881");
        valid("a DNS name prints in lower case", Q + "Router.Example.ORG:6881", Q + "router.example.org:6881");
        valid("a one-label DNS name", Q + "localhost:1", Q + "localhost:1");
        valid("a name whose last label is not all digits", Q + "1.2.3.4a:65535", Q + "1.2.3.4a:65535");
        valid("an IDNA name (A-label)", Q + "xn--bcher-kva.example:6881", Q + "xn--bcher-kva.example:6881");
        String longest = ("a".repeat(63) + ".").repeat(3) + "a".repeat(61);
        valid("a DNS name of 253 characters, labels of 63", Q + longest + ":1", Q + longest + ":1");
        valid("bootstrap by IPv4 dotted quad", Q + "192.0.2.1:6881", Q + "192.0.2.1:6881");
        valid("IPv4 with zeros", Q + "0.0.0.0:1", Q + "0.0.0.0:1");
        valid("IPv6 with percent-encoded brackets", Q + "%5B2001:db8::1%5D:6881", Q + "%5B2001:db8::1%5D:6881");
        valid("IPv6 with raw brackets prints them percent-encoded", Q + "[2001:db8::1]:6881", Q + "%5B2001:db8::1%5D:6881");
        valid("percent-escapes are case-insensitive on input, upper case in print", Q + "%5b2001:db8::1%5d:6881", Q + "%5B2001:db8::1%5D:6881");
        valid("IPv6 in full form prints in RFC 5952 form", Q + "[2001:0DB8:0000:0000:0000:0000:0000:0001]:1", Q + "%5B2001:db8::1%5D:1");
        valid("RFC 5952: the first of two equal zero runs is shortened", Q + "[2001:db8:0:0:1:0:0:1]:1", Q + "%5B2001:db8::1:0:0:1%5D:1");
        valid("RFC 5952: the longest zero run is shortened", Q + "[2001:0:0:1:0:0:0:1]:1", Q + "%5B2001:0:0:1::1%5D:1");
        valid("RFC 5952: a single zero group is not shortened", Q + "[2001:db8:0:1:1:1:1:1]:1", Q + "%5B2001:db8:0:1:1:1:1:1%5D:1");
        valid("the unspecified and loopback addresses", Q + "[0:0:0:0:0:0:0:0]:1&bootstrap=[0::1]:2", Q + "%5B::%5D:1&bootstrap=%5B::1%5D:2");
        valid("%3A may stand for any ':' in a bootstrap value", Q + "h.example%3A6881&bootstrap=%5B2001%3Adb8%3A%3A1%5D%3a6882",
                Q + "h.example:6881&bootstrap=%5B2001:db8::1%5D:6882");
        valid("bootstraps keep their order", Q + "b.example:2&bootstrap=a.example:1", Q + "b.example:2&bootstrap=a.example:1");
        valid("a private channel with a bootstrap", BASE + ":" + READ + "?bootstrap=192.0.2.1:6881", BASE + ":" + READ + "?bootstrap=192.0.2.1:6881");
        StringBuilder sixteen = new StringBuilder(BASE);
        for (int i = 1; i <= 16; i++) sixteen.append(i == 1 ? '?' : '&').append("bootstrap=n").append(i).append(".example:").append(i);
        valid("16 bootstraps, the most allowed", sixteen.toString(), sixteen.toString());
        valid("the same host on two ports is two nodes", Q + "h.example:1&bootstrap=h.example:2", Q + "h.example:1&bootstrap=h.example:2");

        invalid("not a URI", PUB);
        invalid("another scheme", "magnet://" + PUB);
        invalid("no '//' after the scheme", "megatorrent:" + PUB);
        invalid("public key of 63 hex digits", "megatorrent://" + PUB.substring(1));
        invalid("public key of 65 hex digits", BASE + "0");
        invalid("a non-hex digit in the public key", "megatorrent://g" + PUB.substring(1));
        invalid("an empty read key", BASE + ":");
        invalid("read key of 63 hex digits", BASE + ":" + READ.substring(1));
        invalid("a second read key", BASE + ":" + READ + ":" + READ);
        invalid("a percent-escape in a key", "megatorrent://%64" + PUB.substring(1));
        invalid("user info before the key", "megatorrent://user@" + PUB);
        invalid("a path, even empty", BASE + "/");
        invalid("a path", BASE + "/x");
        invalid("a fragment", BASE + "#x");
        invalid("an empty query", BASE + "?");
        invalid("an empty parameter", Q + "h.example:1&");
        invalid("a parameter without value", BASE + "?bootstrap");
        invalid("an empty bootstrap", Q);
        invalid("parameter names are case-sensitive", BASE + "?Bootstrap=h.example:1");
        invalid("an unknown parameter", BASE + "?peer=h.example:1");
        invalid("a percent-escape in a parameter name", BASE + "?bootstr%61p=h.example:1");
        invalid("17 bootstraps", sixteen + "&bootstrap=n17.example:17");
        invalid("the same bootstrap twice", Q + "h.example:1&bootstrap=h.example:1");
        invalid("the same bootstrap twice, in other case", Q + "h.example:1&bootstrap=H.EXAMPLE:1");
        invalid("the same IPv6 bootstrap twice, spelled differently", Q + "[::1]:1&bootstrap=%5B0:0::1%5D:1");
        invalid("port 0", Q + "h.example:0");
        invalid("port 65536", Q + "h.example:65536");
        invalid("a port with a leading zero", Q + "h.example:08");
        invalid("an empty port", Q + "h.example:");
        invalid("a signed port", Q + "h.example:+1");
        invalid("no port", Q + "h.example");
        invalid("a host with two ports", Q + "h.example:1:2");
        invalid("an empty host", Q + ":1");
        invalid("IPv4 with a leading zero", Q + "01.2.3.4:1");
        invalid("IPv4 with a leading zero in the last part", Q + "1.2.3.04:1");
        invalid("IPv4 part above 255", Q + "256.1.1.1:1");
        invalid("three-part IPv4 (all-digit names must be dotted quads)", Q + "1.2.3:1");
        invalid("five-part IPv4", Q + "1.2.3.4.5:1");
        invalid("shortened IPv4", Q + "127.1:1");
        invalid("IPv4 as one decimal number", Q + "2130706433:1");
        invalid("IPv4 in hex", Q + "0x7f000001:1");
        invalid("a name ending in a hex number", Q + "a.0x7f:1");
        invalid("a name ending in a number", Q + "example.123:1");
        invalid("a DNS name with a trailing dot", Q + "example.org.:1");
        invalid("a DNS name with an empty label", Q + "a..example:1");
        invalid("a DNS label starting with '-'", Q + "-a.example:1");
        invalid("a DNS label ending with '-'", Q + "a-.example:1");
        invalid("'_' in a DNS name", Q + "a_b.example:1");
        invalid("a space in a host", Q + "a b.example:1");
        invalid("a DNS label of 64 characters", Q + "a".repeat(64) + ".example:1");
        invalid("a DNS name of 254 characters", Q + longest + "a:1");
        invalid("an onion name (DHT nodes are reached over UDP)", Q + "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion:1");
        invalid("an I2P name", Q + "tracker.i2p:1");
        invalid("IPv6 without brackets", Q + "::1:5");
        invalid("IPv6 with a zone id, percent-encoded", Q + "[fe80::1%25eth0]:1");
        invalid("IPv6 with a raw zone id", Q + "[fe80::1%eth0]:1");
        invalid("IPv4-mapped IPv6", Q + "[::ffff:192.0.2.1]:1");
        invalid("IPv6 with a dotted IPv4 part", Q + "[64:ff9b::192.0.2.1]:1");
        invalid("IPv6 mapped, in hex", Q + "[::ffff:c000:201]:1");
        invalid("IPv6 with a non-hex digit", Q + "[::g]:1");
        invalid("IPv6 with nine groups", Q + "[1:2:3:4:5:6:7:8:9]:1");
        invalid("IPv6 with two '::'", Q + "[1::2::3]:1");
        invalid("empty brackets", Q + "[]:1");
        invalid("brackets around a name", Q + "[h.example]:1");
        invalid("brackets around IPv4", Q + "[192.0.2.1]:1");
        invalid("IPv6 without a port", Q + "[::1]");
        invalid("IPv6 with a port not after ':'", Q + "[::1]5");
        invalid("IPv6 without ']'", Q + "[::1:5");
        invalid("a percent-escape other than %5B, %5D, %3A", Q + "h%2Eexample:1");
        invalid("a truncated percent-escape", Q + "h.example:1%5");
        invalid("a percent-escape with a non-hex digit", Q + "h.example:1%zz");
        invalid("a double-encoded bracket", Q + "%255B::1%255D:1");
        invalid("longer than 4096 characters", BASE + "?bootstrap=" + "a".repeat(4096) + ":1");
        invalid("whitespace around the URI", " " + BASE);
        return JsonObject.builder().put("suite", "uri")
                .put("source", "written by hand for PROTOCOL_FINAL.md 6.7 (src/test/java/io/megatorrent/content/UriVectorsTest.java), checked against the Java reference node")
                .put("vectors", new JsonArray(new ArrayList<>(vectors))).build();
    }

    private static Path file() {
        return Peers.projectDir().resolve("test-vectors").resolve("uri.json");
    }

    @Test
    void uriVectorsAreCurrentAndPass() throws Exception {
        JsonObject g = generate();
        String text = Json.writePretty(g) + "\n";
        if (Boolean.getBoolean("megatorrent.writeVectors")) Files.writeString(file(), text, StandardCharsets.UTF_8);
        assertTrue(Files.exists(file()), file() + " is missing: run with -Dmegatorrent.writeVectors=true");
        assertEquals(text, Files.readString(file(), StandardCharsets.UTF_8), file() + " differs from what the generator produces");
        Conformance.FileResult r = Conformance.runFile(file());
        assertEquals(0, r.failed(), () -> String.join("\n", r.failures()));
        assertEquals(g.array("vectors").items().size(), r.passed());
    }

    @Test
    void theRunnerComparesPartsAndCanonicalForm(@TempDir Path dir) throws Exception {
        String text = Files.readString(file());
        String[][] tamper = {
                {"\"canonical\": \"megatorrent://d75a", "\"canonical\": \"megatorrent://e75a"},
                {"\"host\": \"router.example.org\"", "\"host\": \"Router.Example.ORG\""},
                {"\"port\": 6881", "\"port\": 6882"},
                {"\"valid\": false", "\"valid\": true"},
        };
        for (String[] t : tamper) {
            assertTrue(text.contains(t[0]), t[0]);
            Path copy = dir.resolve("uri.json");
            Files.writeString(copy, text.replaceFirst(java.util.regex.Pattern.quote(t[0]), java.util.regex.Matcher.quoteReplacement(t[1])));
            assertEquals(1, Conformance.runFile(copy).failed(), t[0]);
        }
    }
}
