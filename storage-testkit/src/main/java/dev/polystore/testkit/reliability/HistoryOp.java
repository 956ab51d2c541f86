package dev.polystore.testkit.reliability;

import dev.polystore.Condition;
import dev.polystore.KeyRange;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One operation of a random history. Operations name keys by index into {@link KeySpace}, so
 * that a history can be replayed under a fresh namespace and printed with short labels.
 */
sealed interface HistoryOp {
    /** The two stores histories use (the names the core contract uses too). */
    List<String> STORES = List.of("kit", "kit_other");

    /** One line, for the printed history. */
    String describe();

    /** The kind, for the figures. */
    default String kind() {
        return getClass().getSimpleName();
    }

    /** A key: store index, partition index, sort-key index. */
    record KeyRef(int store, int partition, int sortKey) {
        String describe() {
            return STORES.get(store) + "[" + KeySpace.PARTITION_LABELS.get(partition) + ", "
                    + KeySpace.SORT_KEYS.get(sortKey).label() + "]";
        }
    }

    /** A condition, kept as data so it can be printed and replayed. */
    record Cond(String kind, long version) {
        static final Cond NONE = new Cond("none", 0);
        static final Cond ABSENT = new Cond("if absent", 0);
        static final Cond EXISTS = new Cond("if exists", 0);

        static Cond version(long v) {
            return new Cond("if version", v);
        }

        Condition toCondition() {
            switch (kind) {
                case "none":
                    return Condition.none();
                case "if absent":
                    return Condition.ifAbsent();
                case "if exists":
                    return Condition.ifExists();
                default:
                    return Condition.ifVersion(version);
            }
        }

        String describe() {
            return kind.equals("if version") ? "if version = " + version : kind;
        }
    }

    /** Which sort keys a query reads: kind and indexes into {@link KeySpace#PREFIXES} or {@link KeySpace#BOUNDS}. */
    record Range(String kind, int a, int b) {
        KeyRange toKeyRange() {
            switch (kind) {
                case "all":
                    return KeyRange.all();
                case "prefix":
                    return KeyRange.prefix(KeySpace.PREFIXES.get(a).value());
                case "between":
                    return KeyRange.between(KeySpace.BOUNDS.get(a).value(), KeySpace.BOUNDS.get(b).value());
                case "at least":
                    return KeyRange.atLeast(KeySpace.BOUNDS.get(a).value());
                default:
                    return KeyRange.atMost(KeySpace.BOUNDS.get(a).value());
            }
        }

        String describe() {
            switch (kind) {
                case "all":
                    return "all";
                case "prefix":
                    return "prefix " + KeySpace.PREFIXES.get(a).label();
                case "between":
                    return "between " + KeySpace.BOUNDS.get(a).label() + " and " + KeySpace.BOUNDS.get(b).label();
                default:
                    return kind + " " + KeySpace.BOUNDS.get(a).label();
            }
        }
    }

    /** Put, conditional or not; {@code expirySeconds > 0} sets an expiry that many seconds from now. */
    record Put(KeyRef key, String value, Cond cond, int expirySeconds) implements HistoryOp {
        @Override
        public String describe() {
            return "put " + key.describe() + " = " + Outcomes.quote(value)
                    + (cond.equals(Cond.NONE) ? "" : " " + cond.describe())
                    + (expirySeconds > 0 ? " expiring in " + expirySeconds + "s" : "");
        }

        @Override
        public String kind() {
            return cond.equals(Cond.NONE) ? "put" : "conditional put";
        }
    }

    record Delete(KeyRef key, Cond cond) implements HistoryOp {
        @Override
        public String describe() {
            return "delete " + key.describe() + (cond.equals(Cond.NONE) ? "" : " " + cond.describe());
        }

        @Override
        public String kind() {
            return cond.equals(Cond.NONE) ? "delete" : "conditional delete";
        }
    }

    record Get(KeyRef key) implements HistoryOp {
        @Override
        public String describe() {
            return "get " + key.describe();
        }

        @Override
        public String kind() {
            return "get";
        }
    }

    /** A query read page by page to its end, by hand with cursors or through {@code Store.forEach}. */
    record QueryPages(int store, int partition, Range range, int limit, boolean descending, boolean forEach)
            implements HistoryOp {
        @Override
        public String describe() {
            return (forEach ? "forEach " : "query ") + STORES.get(store) + "[" + KeySpace.PARTITION_LABELS.get(partition) + "] "
                    + range.describe() + ", " + limit + " per page, " + (descending ? "descending" : "ascending");
        }

        @Override
        public String kind() {
            return forEach ? "forEach" : "paged query";
        }
    }

    /** {@code Store.query(pk, prefix)}: every matching item at once. */
    record QueryAll(int store, int partition, int prefix) implements HistoryOp {
        @Override
        public String describe() {
            return "query(pk, prefix) " + STORES.get(store) + "[" + KeySpace.PARTITION_LABELS.get(partition) + "] prefix "
                    + KeySpace.PREFIXES.get(prefix).label();
        }

        @Override
        public String kind() {
            return "prefix query";
        }
    }

    record BatchPut(int store, List<KeyRef> keys, List<String> values) implements HistoryOp {
        @Override
        public String describe() {
            StringBuilder b = new StringBuilder("batch put");
            for (int i = 0; i < keys.size(); i++) {
                b.append(i == 0 ? " " : ", ").append(keys.get(i).describe()).append(" = ").append(Outcomes.quote(values.get(i)));
            }
            return b.toString();
        }

        @Override
        public String kind() {
            return "batch put";
        }
    }

    record BatchGet(int store, List<KeyRef> keys) implements HistoryOp {
        @Override
        public String describe() {
            return "batch get " + keys.stream().map(KeyRef::describe).collect(Collectors.joining(", "));
        }

        @Override
        public String kind() {
            return "batch get";
        }
    }

    record BatchDelete(int store, List<KeyRef> keys) implements HistoryOp {
        @Override
        public String describe() {
            return "batch delete " + keys.stream().map(KeyRef::describe).collect(Collectors.joining(", "));
        }

        @Override
        public String kind() {
            return "batch delete";
        }
    }

    /** One operation of a transaction: "put", "delete" or "check". */
    record TxPart(String action, KeyRef key, String value, Cond cond) {
        String describe() {
            return action + " " + key.describe() + (action.equals("put") ? " = " + Outcomes.quote(value) : "")
                    + (cond.equals(Cond.NONE) ? "" : " " + cond.describe());
        }
    }

    record Tx(List<TxPart> parts) implements HistoryOp {
        @Override
        public String describe() {
            return "transaction { " + parts.stream().map(TxPart::describe).collect(Collectors.joining("; ")) + " }";
        }

        @Override
        public String kind() {
            return "transaction";
        }
    }

    /** Moves the shared clock (both sides see it): items with an expiry may expire. */
    record Advance(int seconds) implements HistoryOp {
        @Override
        public String describe() {
            return "clock +" + seconds + "s";
        }

        @Override
        public String kind() {
            return "clock";
        }
    }

    /** Reads every partition of both stores. */
    record Scan() implements HistoryOp {
        @Override
        public String describe() {
            return "scan every partition";
        }

        @Override
        public String kind() {
            return "scan";
        }
    }
}
