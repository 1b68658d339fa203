package io.megatorrent.transport;

import java.io.IOException;

/**
 * A peer broke the v6 wire format or the Noise protocol: the connection is dropped. Carries the
 * field that was wrong and the byte offset where it starts (within the message or frame), or -1.
 */
public final class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String field;
    private final long offset;

    public ProtocolException(String field, long offset, String message) {
        super(field + (offset >= 0 ? " at offset " + offset : "") + ": " + message);
        this.field = field;
        this.offset = offset;
    }

    public ProtocolException(String field, long offset, String message, Throwable cause) {
        this(field, offset, message);
        initCause(cause);
    }

    public String field() {
        return field;
    }

    public long offset() {
        return offset;
    }
}
