package io.megatorrent.node;

/**
 * A request to the node that it refuses or cannot carry out, with a message for a person and
 * a JSON-RPC 2.0 error code (the HTTP API sends both as the error object).
 */
public final class ApiException extends Exception {
    private static final long serialVersionUID = 1L;

    /** JSON-RPC 2.0: the request is not a valid request object. */
    public static final int INVALID_REQUEST = -32600;
    /** JSON-RPC 2.0: no such method. */
    public static final int METHOD_NOT_FOUND = -32601;
    /** JSON-RPC 2.0: a parameter is missing, of the wrong type or of a bad value. */
    public static final int INVALID_PARAMS = -32602;
    /** JSON-RPC 2.0: the body is not JSON. */
    public static final int PARSE_ERROR = -32700;
    /** The thing named (a channel, a subscription) is not known to the node. */
    public static final int NOT_FOUND = -32001;
    /** The node tried and failed: a file could not be read, no DHT node stored the pointer. */
    public static final int FAILED = -32002;
    /** The node is busy or shutting down; try again. */
    public static final int UNAVAILABLE = -32003;

    private final int code;

    public ApiException(int code, String message) {
        super(message);
        this.code = code;
    }

    public int code() {
        return code;
    }
}
