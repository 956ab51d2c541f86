package dev.polystore.lease;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What the engine records about a lease, as {@link Leases#describe(String)} reads it: for
 * operations and tests, never a substitute for holding the lease (it may change as soon as it is
 * read).
 *
 * @param name the lease's name
 * @param owner the owner label of the last holder ({@link LeaseOptions.Builder#owner(String)})
 * @param token the last holder's fencing token (0 if the lease was never acquired with one)
 * @param ttl the time-to-live the last holder acquired it with
 * @param released whether the last holder released it
 * @param acquiredAt when the last holder acquired it, by that holder's wall clock (informative only:
 *     no decision is made on wall clocks)
 * @param renewedAt when it was last written (acquired, renewed or released), by the writer's wall clock
 * @param recordVersion the version of the lease's record item, moved by every acquisition, renewal
 *     and release; a contender takes over only after seeing it unchanged for the TTL
 */
public record LeaseInfo(String name, String owner, long token, Duration ttl, boolean released, Instant acquiredAt,
                        Instant renewedAt, long recordVersion) {
    public LeaseInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(ttl, "ttl");
    }
}
