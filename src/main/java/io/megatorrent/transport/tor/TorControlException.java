package io.megatorrent.transport.tor;

import java.io.IOException;

/** Tor's control port answered a command with an error status. */
public final class TorControlException extends IOException {
    private static final long serialVersionUID = 1L;

    TorControlException(String what, TorControl.Reply reply) {
        super(what + " failed: " + reply.status() + " " + String.join(" / ", reply.lines()));
    }
}
