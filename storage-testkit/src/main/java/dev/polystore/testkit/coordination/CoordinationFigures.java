package dev.polystore.testkit.coordination;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * One line of figures per coordination test, in the reliability suite's format
 * ({@code [reliability] <backend> | <test> | k=v ...}), so {@code grep '^\[reliability\]'} on the
 * build log collects them with the others. Printed on standard output on purpose (a test
 * reporter, like the reliability suite's figures): they must reach the Maven log whatever the
 * SLF4J configuration of the build.
 */
final class CoordinationFigures {
    private final String backend;
    private final String test;
    private final Map<String, Object> values = new LinkedHashMap<>();

    CoordinationFigures(String backend, String test) {
        this.backend = backend;
        this.test = test;
    }

    CoordinationFigures put(String name, Object value) {
        values.put(name, value);
        return this;
    }

    String line() {
        StringJoiner joined = new StringJoiner(" ");
        values.forEach((k, v) -> joined.add(k + "=" + v));
        return "[reliability] " + backend + " | " + test + " | " + joined;
    }

    /** Prints the line; call it in a {@code finally} block so failed runs show their figures too. */
    void print() {
        PrintStream out = System.out;
        out.println(line());
        out.flush();
    }
}
