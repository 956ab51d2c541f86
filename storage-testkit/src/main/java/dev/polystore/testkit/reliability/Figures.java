package dev.polystore.testkit.reliability;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The figures a reliability test prints (rounds, operations, retries, losses), one line per
 * test, so that a build log shows what each backend survived. Printed on standard output on
 * purpose: they must appear in the Maven log whatever the SLF4J configuration of the build.
 *
 * <p>Lines look like {@code [reliability] memory | lost updates | threads=8 increments=4000 ...}
 * and can be collected with {@code grep '^\[reliability\]'}.
 */
final class Figures {
    static final String TAG = "[reliability]";

    private final String backend;
    private final String test;
    private final Map<String, Object> values = new LinkedHashMap<>();

    Figures(String backend, String test) {
        this.backend = backend;
        this.test = test;
    }

    Figures put(String name, Object value) {
        values.put(name, value);
        return this;
    }

    Object get(String name) {
        return values.get(name);
    }

    String line() {
        StringJoiner joined = new StringJoiner(" ");
        values.forEach((k, v) -> joined.add(k + "=" + v));
        return TAG + " " + backend + " | " + test + " | " + joined;
    }

    /** Prints the line; called in a {@code finally} block so failed runs show their figures too. */
    void print() {
        PrintStream out = System.out;
        out.println(line());
        out.flush();
    }
}
