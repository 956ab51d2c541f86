package dev.polystore.spi;

/**
 * What an import does when the target already holds a live item at the key.
 *
 * <p>{@link #IF_NEWER} is the default and the only mode that is safe while anything else writes
 * the target (an application through the {@code mirror} backend, a second copy): the target
 * keeps whichever of the two items has the higher version. Versions only grow while an item
 * lives (every write is previous + 1), so an import never puts an older state of an item over a
 * newer one, a repeated import of the same items changes nothing (equal versions are kept), and
 * an import racing with a mirrored write of the same item ends with the mirrored write whichever
 * lands first. See {@code docs/migration.md} for the one case it cannot order (an item deleted and
 * created again, whose version starts over at 1) and how {@code polystore verify --repair}
 * resolves it.
 */
public enum ImportMode {
    /**
     * Write if the target has no live item at the key (none, or an expired one), or its live
     * item has a lower version; otherwise keep the target's item and report its version. Checked
     * atomically with the write, item by item.
     */
    IF_NEWER,
    /**
     * Write every item, whatever the target holds (target := item). Needs no per-item condition,
     * so backends may use their fastest bulk path (DynamoDB {@code BatchWriteItem}); repeating it
     * with the same items gives the same result. Only when nothing else writes the target's
     * stores during the import: it can put an older version over a newer one.
     */
    OVERWRITE
}
