package dev.polystore;

/**
 * A value could not be encoded, or a stored payload could not be decoded into the store's
 * type. An encoding failure happens before anything is written.
 */
public class CodecException extends StoreException {
    private static final long serialVersionUID = 1L;

    public CodecException(String message, Throwable cause) {
        super(message, cause);
    }
}
