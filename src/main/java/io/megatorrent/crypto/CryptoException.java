package io.megatorrent.crypto;

/** A cryptographic check failed (bad tag, bad signature, invalid key) or input had the wrong size. */
public final class CryptoException extends Exception {
    public CryptoException(String message) {
        super(message);
    }

    public CryptoException(String message, Throwable cause) {
        super(message, cause);
    }
}
