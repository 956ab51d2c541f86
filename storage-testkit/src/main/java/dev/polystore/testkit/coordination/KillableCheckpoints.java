package dev.polystore.testkit.coordination;

import dev.polystore.event.CheckpointStore;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * A checkpoint store in front of the real one that can be "killed" like the process around a
 * subscription: from then on no save reaches the store and none completes (a dead process learns
 * nothing more), until {@link #revive()}; {@link #release()} lets the saves left hanging complete
 * (they never reached the store), so that the abandoned subscription objects can finish. Can also kill itself on its n-th save (a crash right after
 * an acknowledgement, before its checkpoint is written). Thread-safe.
 */
final class KillableCheckpoints implements CheckpointStore {
    private final CheckpointStore real;
    private final List<CompletableFuture<Void>> hanging = new ArrayList<>();
    private boolean killed;
    private int killOnSave;
    private int saves;

    KillableCheckpoints(CheckpointStore real) {
        this.real = real;
    }

    synchronized void kill() {
        killed = true;
    }

    synchronized boolean killed() {
        return killed;
    }

    /** Kills on the {@code n}-th save from now (that save is lost). */
    synchronized void killOnSave(int n) {
        saves = 0;
        killOnSave = n;
    }

    synchronized void revive() {
        killed = false;
        killOnSave = 0;
        saves = 0;
    }

    void release() {
        List<CompletableFuture<Void>> left;
        synchronized (this) {
            left = List.copyOf(hanging);
            hanging.clear();
        }
        left.forEach(f -> f.complete(null));
    }

    @Override
    public CompletableFuture<OptionalLong> load(String subscription, String stream) {
        return real.load(subscription, stream);
    }

    @Override
    public CompletableFuture<Void> save(String subscription, String stream, long revision) {
        synchronized (this) {
            if (!killed && killOnSave > 0 && ++saves == killOnSave) {
                killed = true;
            }
            if (killed) {
                CompletableFuture<Void> never = new CompletableFuture<>();
                hanging.add(never);
                return never;
            }
        }
        return real.save(subscription, stream, revision);
    }
}
