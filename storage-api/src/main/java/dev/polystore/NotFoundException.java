package dev.polystore;

/**
 * Something that must exist for the operation does not, for example the dialogue a
 * perspective is registered on. Plain reads report absence with an empty {@code Optional}
 * instead.
 */
public class NotFoundException extends StoreException {
    private static final long serialVersionUID = 1L;

    public NotFoundException(String message) {
        super(message);
    }
}
