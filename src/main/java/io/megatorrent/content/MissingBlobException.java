package io.megatorrent.content;

import java.io.IOException;

/** A blob that should be in the store is not. */
public final class MissingBlobException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String blobId;

    public MissingBlobException(String blobId, String message) {
        super(message);
        this.blobId = blobId;
    }

    public String blobId() {
        return blobId;
    }
}
