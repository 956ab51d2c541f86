package dev.polystore.lease;

import java.util.Objects;

/**
 * Why a lease ended, as {@link Lease#lost()} reports it.
 *
 * @param reason what happened
 * @param message a sentence for logs: the lease, its token and what was seen
 * @param cause the last failure of the engine for {@link Reason#UNAVAILABLE}, else null
 */
public record LeaseLoss(Reason reason, String message, Throwable cause) {

    /** What ended a lease. */
    public enum Reason {
        /**
         * Another holder acquired the lease: a renewal, release or fenced write found the lease's
         * record or fence moved on. Every fenced write of this holder now fails.
         */
        TAKEN_OVER,
        /**
         * Renewals did not succeed before the holder's deadline because the engine could not be
         * reached or their outcome stayed unknown ({@link #cause()} is the last failure). The lease
         * may still be recorded as this holder's; nobody else can acquire it before its TTL has
         * passed unchanged, and fenced writes keep being checked by the engine.
         */
        UNAVAILABLE,
        /**
         * The holder's deadline passed without a renewal being attempted (automatic renewal off,
         * and {@link Lease#renew()} not called in time).
         */
        EXPIRED,
        /** The holder released it with {@link Lease#release()}. */
        RELEASED
    }

    public LeaseLoss {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
    }
}
