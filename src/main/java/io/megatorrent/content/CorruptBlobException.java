package io.megatorrent.content;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A blob whose bytes do not hash to its id, or do not open with the entry's key. When it was
 * found in the store it has been moved to {@link #quarantinedTo()} and will not be served.
 */
public final class CorruptBlobException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String blobId;
    private final transient Path quarantinedTo;

    public CorruptBlobException(String blobId, Path quarantinedTo, String message) {
        super(message);
        this.blobId = blobId;
        this.quarantinedTo = quarantinedTo;
    }

    public String blobId() {
        return blobId;
    }

    /** Where the bad file now lies, or null when it was not in the store. */
    public Path quarantinedTo() {
        return quarantinedTo;
    }
}
