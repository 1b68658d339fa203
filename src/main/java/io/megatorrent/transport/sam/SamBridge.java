package io.megatorrent.transport.sam;

import io.megatorrent.crypto.SecretFile;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * An I2P router's SAM v3.1 bridge (i2pd or Java I2P), reached over loopback TCP. Creates
 * sessions and answers the commands that need no session: NAMING LOOKUP and DEST GENERATE.
 */
public final class SamBridge {
    /** Nicknames are ours to choose: keep them plain so they never need quoting. */
    static final int MAX_NICKNAME_LENGTH = 64;
    /** Session keys that SAM itself owns; an option with one of these names is refused. */
    static final Set<String> RESERVED_KEYS = Set.of("STYLE", "ID", "DESTINATION", "SIGNATURE_TYPE", "SILENT",
            "FROM_PORT", "TO_PORT", "PROTOCOL", "HEADER", "HOST", "PORT", "NAME", "VALUE", "RESULT", "MESSAGE");
    /** Longest private destination file we read. */
    static final int MAX_KEY_FILE_LENGTH = I2pDestination.MAX_BASE64_LENGTH + 2;

    private final InetSocketAddress address;

    public SamBridge(InetSocketAddress address) {
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) throw new IllegalArgumentException("SAM bridge address must be an IP address: " + address);
        this.address = address;
    }

    public InetSocketAddress address() {
        return address;
    }

    /** A freshly generated private destination and its public part. */
    public record GeneratedDestination(String publicBase64, String privateBase64) {
        @Override
        public String toString() {
            return "GeneratedDestination[" + SamReply.abbreviate(publicBase64) + ", <private>]";
        }
    }

    /** DEST GENERATE SIGNATURE_TYPE=7: a new Ed25519 destination (the router does not keep it). */
    public GeneratedDestination generateDestination(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SamConnection c = SamConnection.open(address, deadline)) {
            String line = "DEST GENERATE SIGNATURE_TYPE=" + I2pDestination.SIGNATURE_TYPE_ED25519;
            SamReply r = c.request("DEST GENERATE", line, deadline);
            if (!r.topic().equals("DEST") || !r.op().equals("REPLY")) throw SamException.protocol("expected DEST REPLY, got " + r.topic() + " " + r.op());
            if (r.get("RESULT") != null && !r.get("RESULT").equals("OK")) throw SamException.result("DEST GENERATE", r.get("RESULT"), r.get("MESSAGE"));
            String pub = I2pDestination.requirePublic(r.require("PUB"));
            String priv = r.require("PRIV");
            if (!I2pDestination.publicOf(priv).equals(pub)) throw SamException.protocol("DEST REPLY PRIV does not start with PUB");
            if (I2pDestination.signatureType(pub) != I2pDestination.SIGNATURE_TYPE_ED25519) {
                throw SamException.protocol("bridge generated signature type " + I2pDestination.signatureType(pub) + ", asked for 7 (Ed25519)");
            }
            return new GeneratedDestination(pub, priv);
        }
    }

    /**
     * NAMING LOOKUP NAME=name on a connection of its own: a .i2p or .b32.i2p name to its base64
     * destination. Fails with RESULT=KEY_NOT_FOUND or INVALID_KEY as the bridge says.
     */
    public String lookup(String name, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SamConnection c = SamConnection.open(address, deadline)) {
            return lookup(c, name, deadline);
        }
    }

    static String lookup(SamConnection c, String name, long deadline) throws IOException {
        SamConnection.checkToken(name, "name to look up", false);
        String line = SamConnection.command("NAMING LOOKUP", Map.of("NAME", name));
        SamReply r = c.request("NAMING LOOKUP " + SamReply.abbreviate(name), line, deadline);
        r.expectOk("NAMING LOOKUP " + SamReply.abbreviate(name), "NAMING", "REPLY");
        return I2pDestination.requirePublic(r.require("VALUE"));
    }

    /**
     * SESSION CREATE STYLE=STREAM with a new transient Ed25519 destination. {@code options}
     * are I2CP/tunnel options passed as KEY=VALUE (e.g. {@link SamSession#ZERO_HOP_OPTIONS}).
     * Creation waits for the router's tunnels: ~20 s on i2pd offline, longer on the network.
     */
    public SamSession createTransientSession(String nickname, Map<String, String> options, Duration timeout) throws IOException {
        return createSession(nickname, null, options, timeout);
    }

    /**
     * SESSION CREATE with the private destination kept in {@code keyFile} (created with mode
     * 0600 from DEST GENERATE if absent), so the node keeps its I2P address across restarts.
     */
    public SamSession createPersistentSession(String nickname, Path keyFile, Map<String, String> options, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String priv = loadOrCreatePrivateDestination(keyFile, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        return createSession(nickname, priv, options, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
    }

    private SamSession createSession(String nickname, String privateDestination, Map<String, String> options, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String line = sessionCreateLine(nickname, privateDestination, options);
        SamConnection control = SamConnection.open(address, deadline);
        boolean ok = false;
        try {
            SamReply r = control.request("SESSION CREATE ID=" + nickname, line, deadline);
            r.expectOk("SESSION CREATE ID=" + nickname, "SESSION", "STATUS");
            String priv = r.require("DESTINATION");
            String pub = I2pDestination.publicOf(priv);
            if (privateDestination != null && !pub.equals(I2pDestination.publicOf(privateDestination))) {
                throw SamException.protocol("bridge created the session with a destination other than the one we gave");
            }
            int sigType = I2pDestination.signatureType(pub);
            if (sigType != I2pDestination.SIGNATURE_TYPE_ED25519) {
                throw SamException.protocol("session destination has signature type " + sigType + ", expected 7 (Ed25519)");
            }
            ok = true;
            return new SamSession(this, nickname, control, pub);
        } finally {
            if (!ok) control.close();
        }
    }

    /** The SESSION CREATE line: fixed keys first, then the options sorted by key (PROTOCOL_FINAL.md 5.3). */
    static String sessionCreateLine(String nickname, String privateDestination, Map<String, String> options) {
        checkNickname(nickname);
        Map<String, String> pairs = new LinkedHashMap<>();
        pairs.put("STYLE", "STREAM");
        pairs.put("ID", nickname);
        if (privateDestination == null) {
            pairs.put("DESTINATION", "TRANSIENT");
            pairs.put("SIGNATURE_TYPE", Integer.toString(I2pDestination.SIGNATURE_TYPE_ED25519));
        } else {
            pairs.put("DESTINATION", privateDestination);
        }
        for (var e : new TreeMap<>(options).entrySet()) {
            if (RESERVED_KEYS.contains(e.getKey())) throw new IllegalArgumentException("SAM session option " + e.getKey() + " is set by the client itself");
            pairs.put(e.getKey(), e.getValue());
        }
        return SamConnection.command("SESSION CREATE", pairs);
    }

    static void checkNickname(String nickname) {
        if (nickname == null || nickname.isEmpty() || nickname.length() > MAX_NICKNAME_LENGTH) {
            throw new IllegalArgumentException("SAM session nickname must be 1.." + MAX_NICKNAME_LENGTH + " characters");
        }
        for (int i = 0; i < nickname.length(); i++) {
            char c = nickname.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
            if (!ok) throw new IllegalArgumentException("SAM session nickname may hold only letters, digits, '-' and '_': " + nickname);
        }
    }

    /**
     * Reads the private destination in {@code file}, or generates one and writes it: to a
     * temporary file created with mode 0600, forced to disk, then moved into place, so a crash
     * never leaves a half-written key under the real name. A key file others may read is refused.
     */
    String loadOrCreatePrivateDestination(Path file, Duration timeout) throws IOException {
        if (Files.exists(file)) return loadPrivateDestination(file);
        GeneratedDestination generated = generateDestination(timeout);
        try {
            SecretFile.write(file, (generated.privateBase64() + "\n").getBytes(StandardCharsets.US_ASCII), false);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // another process made it between our exists() and write: the file on disk is the destination
            return loadPrivateDestination(file);
        }
        return generated.privateBase64();
    }

    private static String loadPrivateDestination(Path file) throws IOException {
        String text = new String(SecretFile.read(file, MAX_KEY_FILE_LENGTH), StandardCharsets.US_ASCII).strip();
        try {
            String pub = I2pDestination.publicOf(text);
            if (I2pDestination.signatureType(pub) != I2pDestination.SIGNATURE_TYPE_ED25519) {
                throw SamException.protocol("not an Ed25519 (signature type 7) destination");
            }
        } catch (SamException e) {
            throw new IOException("I2P private destination " + file + " is not valid: " + e.getMessage(), e);
        }
        return text;
    }
}
