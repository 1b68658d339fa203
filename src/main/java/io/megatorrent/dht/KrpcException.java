package io.megatorrent.dht;

/**
 * A KRPC error: either an error a remote answered, or one we answer. Codes are BEP 5's
 * (201 generic, 202 server, 203 protocol, 204 method unknown) and BEP 44's (205 message too
 * big, 206 invalid signature, 207 salt too big, 301 CAS mismatch, 302 sequence number less
 * than current).
 */
public final class KrpcException extends Exception {
    public static final int GENERIC = 201;
    public static final int SERVER = 202;
    public static final int PROTOCOL = 203;
    public static final int METHOD_UNKNOWN = 204;
    public static final int MESSAGE_TOO_BIG = 205;
    public static final int INVALID_SIGNATURE = 206;
    public static final int SALT_TOO_BIG = 207;
    public static final int CAS_MISMATCH = 301;
    public static final int SEQ_LESS_THAN_CURRENT = 302;

    private final int code;

    public KrpcException(int code, String message) {
        super(message);
        this.code = code;
    }

    public static KrpcException protocol(String message) {
        return new KrpcException(PROTOCOL, message);
    }

    public int code() {
        return code;
    }

    @Override
    public String getMessage() {
        return code + " " + super.getMessage();
    }

    /** The message without the code, as it goes on the wire. */
    public String text() {
        return super.getMessage();
    }
}
