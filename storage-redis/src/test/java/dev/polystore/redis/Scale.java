package dev.polystore.redis;

/** The reliability scale ({@code -Dpolystore.reliability.scale}, default 1; the reliability-long profile sets 10). */
final class Scale {
    private Scale() {
    }

    static int factor() {
        String v = System.getProperty("polystore.reliability.scale", "1").trim();
        int n = Integer.parseInt(v);
        if (n < 1) {
            throw new IllegalArgumentException("polystore.reliability.scale must be >= 1, got " + v);
        }
        return n;
    }
}
