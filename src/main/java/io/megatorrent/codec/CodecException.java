package io.megatorrent.codec;

/** Malformed input to a codec; {@link #offset()} is the byte (or char) offset where decoding stopped. */
public final class CodecException extends Exception {
    private final long offset;

    public CodecException(String message, long offset) {
        super(message + " at offset " + offset);
        this.offset = offset;
    }

    public long offset() {
        return offset;
    }
}
