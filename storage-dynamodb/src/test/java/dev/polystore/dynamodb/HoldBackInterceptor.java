package dev.polystore.dynamodb;

import dev.polystore.Key;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * Plays DynamoDB leaving batch items unprocessed: chosen keys are taken out of each
 * {@code BatchWriteItem} / {@code BatchGetItem} request before it is sent (so DynamoDB never
 * sees them) and put back as {@code UnprocessedItems} / {@code UnprocessedKeys} in the response,
 * a given number of times per key.
 */
final class HoldBackInterceptor implements ExecutionInterceptor {
    private static final ExecutionAttribute<Map<String, List<Map<String, AttributeValue>>>> HELD =
            new ExecutionAttribute<>("test.heldBack");

    private static final Map<String, AttributeValue> DUMMY = Map.of(
            Items.PK, AttributeValue.fromS("hold-back-dummy"), Items.SK, AttributeValue.fromS("-"));

    private final Map<Key, AtomicInteger> remaining = new ConcurrentHashMap<>();

    /** Holds {@code key} back from the next {@code times} batch requests that carry it. */
    void holdBack(Key key, int times) {
        remaining.put(key, new AtomicInteger(times));
    }

    void reset() {
        remaining.clear();
    }

    private boolean take(Map<String, AttributeValue> key) {
        AtomicInteger left = remaining.get(Key.of(key.get(Items.PK).s(), key.get(Items.SK).s()));
        return left != null && left.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    }

    @Override
    public SdkRequest modifyRequest(Context.ModifyRequest context, ExecutionAttributes attributes) {
        Map<String, List<Map<String, AttributeValue>>> held = new HashMap<>();
        if (context.request() instanceof BatchWriteItemRequest r) {
            Map<String, List<WriteRequest>> kept = new HashMap<>();
            r.requestItems().forEach((table, writes) -> {
                for (WriteRequest w : writes) {
                    Map<String, AttributeValue> key = w.deleteRequest() != null ? w.deleteRequest().key()
                            : Map.of(Items.PK, w.putRequest().item().get(Items.PK), Items.SK, w.putRequest().item().get(Items.SK));
                    if (take(key)) {
                        held.computeIfAbsent(table, t -> new ArrayList<>()).add(key);
                    } else {
                        kept.computeIfAbsent(table, t -> new ArrayList<>()).add(w);
                    }
                }
            });
            attributes.putAttribute(HELD, held);
            if (kept.isEmpty()) {
                // DynamoDB refuses an empty batch: send a harmless delete of a key nobody uses.
                String table = r.requestItems().keySet().iterator().next();
                kept.put(table, List.of(WriteRequest.builder().deleteRequest(d -> d.key(DUMMY)).build()));
            }
            return r.toBuilder().requestItems(kept).build();
        }
        if (context.request() instanceof BatchGetItemRequest r) {
            Map<String, KeysAndAttributes> kept = new HashMap<>();
            r.requestItems().forEach((table, ka) -> {
                List<Map<String, AttributeValue>> keys = new ArrayList<>();
                for (Map<String, AttributeValue> key : ka.keys()) {
                    if (take(key)) {
                        held.computeIfAbsent(table, t -> new ArrayList<>()).add(key);
                    } else {
                        keys.add(key);
                    }
                }
                if (!keys.isEmpty()) {
                    kept.put(table, ka.toBuilder().keys(keys).build());
                }
            });
            attributes.putAttribute(HELD, held);
            if (kept.isEmpty()) {
                String table = r.requestItems().keySet().iterator().next();
                kept.put(table, KeysAndAttributes.builder().keys(List.of(DUMMY)).consistentRead(true).build());
            }
            return r.toBuilder().requestItems(kept).build();
        }
        return context.request();
    }

    @Override
    public SdkResponse modifyResponse(Context.ModifyResponse context, ExecutionAttributes attributes) {
        Map<String, List<Map<String, AttributeValue>>> held = attributes.getAttribute(HELD);
        if (held == null || held.isEmpty()) {
            return context.response();
        }
        if (context.response() instanceof BatchWriteItemResponse r) {
            Map<String, List<WriteRequest>> unprocessed = new HashMap<>(r.unprocessedItems());
            held.forEach((table, keys) -> {
                List<WriteRequest> list = new ArrayList<>(unprocessed.getOrDefault(table, List.of()));
                keys.forEach(k -> list.add(WriteRequest.builder().deleteRequest(d -> d.key(k)).build()));
                unprocessed.put(table, list);
            });
            return r.toBuilder().unprocessedItems(unprocessed).build();
        }
        if (context.response() instanceof BatchGetItemResponse r) {
            Map<String, KeysAndAttributes> unprocessed = new HashMap<>(r.unprocessedKeys());
            held.forEach((table, keys) -> unprocessed.put(table,
                    KeysAndAttributes.builder().keys(keys).consistentRead(true).build()));
            return r.toBuilder().unprocessedKeys(unprocessed).build();
        }
        return context.response();
    }

    /** Keys still to be held back at least once more. */
    Set<Key> pending() {
        Set<Key> keys = ConcurrentHashMap.newKeySet();
        remaining.forEach((k, n) -> {
            if (n.get() > 0) {
                keys.add(k);
            }
        });
        return keys;
    }
}
