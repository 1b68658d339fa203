package io.megatorrent.transport.sam;

import java.io.IOException;
import java.util.Map;

/**
 * The SAM bridge answered a command with a RESULT other than OK, or broke the protocol.
 * {@link #result()} is the RESULT value (null for a protocol error).
 */
public final class SamException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Every RESULT value of SAM 3.1 (plus ALREADY_ACCEPTING from 3.2), with what it means for us. */
    static final Map<String, String> RESULTS = Map.ofEntries(
            Map.entry("OK", "success"),
            Map.entry("CANT_REACH_PEER", "the peer exists but cannot be reached"),
            Map.entry("DUPLICATED_DEST", "this destination is already in use by another session"),
            Map.entry("DUPLICATED_ID", "a session with this nickname already exists on the bridge"),
            Map.entry("I2P_ERROR", "generic I2P error (the router could not do it)"),
            Map.entry("INVALID_ID", "no session with this nickname on the bridge"),
            Map.entry("INVALID_KEY", "the destination or key is not valid"),
            Map.entry("KEY_NOT_FOUND", "the name is not known to the router's address book"),
            Map.entry("PEER_NOT_FOUND", "the peer cannot be found on the network"),
            Map.entry("TIMEOUT", "the router timed out"),
            Map.entry("NOVERSION", "the bridge does not speak SAM 3.1"),
            Map.entry("ALREADY_ACCEPTING", "another STREAM ACCEPT is already pending on this session"));

    private final String result;

    private SamException(String message, String result) {
        super(message);
        this.result = result;
    }

    static SamException result(String command, String result, String bridgeMessage) {
        String meaning = RESULTS.getOrDefault(result, "unknown RESULT value");
        String msg = "SAM " + command + " failed: RESULT=" + result + " (" + meaning + ")";
        if (bridgeMessage != null && !bridgeMessage.isEmpty()) msg += ": bridge says \"" + bridgeMessage + "\"";
        return new SamException(msg, result);
    }

    static SamException protocol(String message) {
        return new SamException("SAM protocol error: " + message, null);
    }

    public String result() {
        return result;
    }
}
