package io.megatorrent.ledger;

/** A block or chain that is refused, naming the field at fault and its byte offset in the block. */
public final class LedgerException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String field;

    public LedgerException(String field, int offset, String message) {
        super(field + " (offset " + offset + "): " + message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
