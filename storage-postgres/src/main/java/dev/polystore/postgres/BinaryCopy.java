package dev.polystore.postgres;

import java.sql.SQLException;
import org.postgresql.copy.CopyIn;

/**
 * Rows of an item table in {@code COPY}'s binary format ({@code FORMAT binary}: a signature,
 * then per row the field count and each field as a 32-bit length and its bytes, -1 for NULL,
 * then a -1 trailer), written to a {@link CopyIn} through a buffer of {@value #BUFFER} bytes.
 * Binary needs no escaping: any byte of a key or payload (NUL, backslash, tab, newline) is sent
 * as it is. Columns, in order: {@code pk, sk, version, expires_at, wt, payload}.
 */
final class BinaryCopy {
    static final int BUFFER = 64 * 1024;
    /** {@code PGCOPY\n\377\r\n\0}, flags 0, header extension length 0. */
    private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final int FIELDS = 6;

    private final CopyIn in;
    private final byte[] buffer = new byte[BUFFER];
    private int used;

    BinaryCopy(CopyIn in) throws SQLException {
        this.in = in;
        put(HEADER, 0, HEADER.length);
    }

    /** One row; {@code expiresAt} null for "never". */
    void row(byte[] pk, byte[] sk, long version, Long expiresAt, byte[] wt, byte[] payload) throws SQLException {
        room(2);
        short16(FIELDS);
        bytes(pk);
        bytes(sk);
        int8(version);
        if (expiresAt == null) {
            room(4);
            int32(-1);
        } else {
            int8(expiresAt);
        }
        bytes(wt);
        bytes(payload);
    }

    /** Writes the trailer, ends the copy and returns the number of rows the server wrote. */
    long finish() throws SQLException {
        room(2);
        short16(-1);
        flush();
        return in.endCopy();
    }

    private void bytes(byte[] b) throws SQLException {
        room(4);
        int32(b.length);
        put(b, 0, b.length);
    }

    private void int8(long v) throws SQLException {
        room(12);
        int32(8);
        int32((int) (v >>> 32));
        int32((int) v);
    }

    private void put(byte[] b, int off, int len) throws SQLException {
        if (len > buffer.length - used) {
            flush();
            if (len > buffer.length) {
                in.writeToCopy(b, off, len);
                return;
            }
        }
        System.arraycopy(b, off, buffer, used, len);
        used += len;
    }

    /** Makes room for {@code n} (at most 12) bytes of fixed-size fields. */
    private void room(int n) throws SQLException {
        if (buffer.length - used < n) {
            flush();
        }
    }

    private void short16(int v) {
        buffer[used++] = (byte) (v >>> 8);
        buffer[used++] = (byte) v;
    }

    private void int32(int v) {
        buffer[used++] = (byte) (v >>> 24);
        buffer[used++] = (byte) (v >>> 16);
        buffer[used++] = (byte) (v >>> 8);
        buffer[used++] = (byte) v;
    }

    private void flush() throws SQLException {
        if (used > 0) {
            in.writeToCopy(buffer, 0, used);
            used = 0;
        }
    }
}
