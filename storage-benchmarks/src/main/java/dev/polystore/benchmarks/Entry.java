package dev.polystore.benchmarks;

/** One item to write: partition key, sort key and its encoded JSON payload. */
public record Entry(String pk, String sk, byte[] payload) {
}
