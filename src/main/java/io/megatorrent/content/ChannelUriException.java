package io.megatorrent.content;

/** A {@code megatorrent://} URI that does not follow PROTOCOL_FINAL.md 6.7; the message says what is wrong. */
public final class ChannelUriException extends Exception {
    public ChannelUriException(String message) {
        super(message);
    }
}
