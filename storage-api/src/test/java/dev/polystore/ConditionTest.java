package dev.polystore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ConditionTest {
    @Test
    void kinds() {
        assertEquals(Condition.Kind.NONE, Condition.none().kind());
        assertEquals(Condition.Kind.IF_ABSENT, Condition.ifAbsent().kind());
        assertEquals(Condition.Kind.IF_EXISTS, Condition.ifExists().kind());
        assertEquals(Condition.Kind.IF_VERSION, Condition.ifVersion(3).kind());
        assertEquals(3, Condition.ifVersion(3).expectedVersion());
        assertThrows(IllegalStateException.class, () -> Condition.ifExists().expectedVersion());
    }

    @Test
    void holdsAgainstTheCurrentVersionWithZeroForNoItem() {
        assertTrue(Condition.none().holds(0));
        assertTrue(Condition.none().holds(7));
        assertTrue(Condition.ifAbsent().holds(0));
        assertFalse(Condition.ifAbsent().holds(1));
        assertFalse(Condition.ifExists().holds(0));
        assertTrue(Condition.ifExists().holds(1));
        assertTrue(Condition.ifVersion(2).holds(2));
        assertFalse(Condition.ifVersion(2).holds(3));
        assertFalse(Condition.ifVersion(1).holds(0));
        assertThrows(IllegalArgumentException.class, () -> Condition.ifExists().holds(-1));
    }
}
