package dev.polystore.redis;

/**
 * Prints one line of figures per test, tagged like the kit's ({@code [reliability] redis | test |
 * figures}), so {@code grep '^\[reliability\]'} collects them from the build log.
 */
final class Report {
    private Report() {
    }

    static void print(String test, String figures) {
        System.out.println("[reliability] redis | " + test + " | " + figures);
        System.out.flush();
    }
}
