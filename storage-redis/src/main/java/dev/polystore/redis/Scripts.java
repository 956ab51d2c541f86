package dev.polystore.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts: every write is one of them, so its condition, its expiry check and its
 * changes to the item hash and the partition's sorted set happen atomically (a script runs
 * alone on the server). They are loaded with {@code SCRIPT LOAD} at open and called with
 * {@code EVALSHA}; a server that answers {@code NOSCRIPT} (restarted, failed over, or its cache
 * flushed) gets the source with {@code EVAL}, which also caches it again. NOSCRIPT means the
 * script did not run, so sending it again is safe.
 *
 * <p><b>Replay safety.</b> Lettuce sends a command again after a reconnect when its answer never
 * came (at-least-once). Every write therefore carries a write id, and when it applies, it stores
 * its outcome under {@code <tag>w:<id>} for the replay window: a second run of the same write
 * finds the record and answers the first run's outcome ({@code done}) without touching the
 * item. A write that did not apply (its condition failed) leaves no record, so a second run
 * decides again, against the item as it then is — a correct outcome for a write still in flight.
 *
 * <p><b>Expiry</b> is decided by the backend's clock, passed in as {@code now} (epoch
 * milliseconds): an item whose {@code e} (epoch seconds) is at or before it is absent to every
 * condition and read. Redis' own key expiry ({@code EXPIREAT} at expiry + grace) only removes
 * leftovers, and queries remove the sorted-set members of items they find gone or expired.
 *
 * <p>Answers: {@code {"ok", value}}, {@code {"done", recorded value}}, or {@code {"cf", found
 * version or 0}} (transactions: {@code {"cf", operation index, found version or 0}}).
 */
final class Scripts {

    /** A script with its SHA-1, as {@code EVALSHA} names it. */
    record Script(String name, byte[] source, String sha) {
        static Script of(String name, String body) {
            byte[] source = (PRELUDE + body).getBytes(StandardCharsets.UTF_8);
            try {
                String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source));
                return new Script(name, source, sha);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK has no SHA-1", e);
            }
        }
    }

    private Scripts() {
    }

    /** Helpers every script starts with. */
    static final String PRELUDE = """
            -- polystore
            local function live(key, now)
              local f = redis.call('HMGET', key, 'v', 'e')
              local hade = f[2] ~= false
              if not f[1] then return nil, hade end
              if hade and tonumber(f[2]) * 1000 <= now then return nil, hade end
              return tonumber(f[1]), hade
            end
            local function holds(c, want, cur)
              if c == 'n' then return true end
              if c == 'a' then return cur == nil end
              if c == 'e' then return cur ~= nil end
              return cur ~= nil and cur == tonumber(want)
            end
            local function backstop(ikey, zkey, znew, e, grace)
              if e == '' then
                redis.call('PERSIST', ikey)
                redis.call('PERSIST', zkey)
                return
              end
              local at = tonumber(e) + grace
              if at > 100000000000 then
                redis.call('PERSIST', ikey)
                redis.call('PERSIST', zkey)
                return
              end
              redis.call('EXPIREAT', ikey, string.format('%d', at))
              if znew then
                redis.call('EXPIREAT', zkey, string.format('%d', at))
              else
                local ttl = redis.call('PTTL', zkey)
                if ttl >= 0 then
                  local t = redis.call('TIME')
                  if tonumber(t[1]) * 1000 + ttl < at * 1000 then
                    redis.call('EXPIREAT', zkey, string.format('%d', at))
                  end
                end
              end
            end
            local function write(ikey, zkey, sk, v, payload, e, grace, hade)
              if e == '' then
                redis.call('HSET', ikey, 'p', payload, 'v', v)
                if hade then
                  redis.call('HDEL', ikey, 'e')
                  redis.call('PERSIST', ikey)
                end
                redis.call('ZADD', zkey, 0, sk)
                redis.call('PERSIST', zkey)
                return
              end
              local znew = redis.call('EXISTS', zkey) == 0
              redis.call('HSET', ikey, 'p', payload, 'v', v, 'e', e)
              redis.call('ZADD', zkey, 0, sk)
              backstop(ikey, zkey, znew, e, grace)
            end
            local function remove(ikey, zkey, sk)
              redis.call('DEL', ikey)
              redis.call('ZREM', zkey, sk)
            end
            """;

    /**
     * KEYS: item, index, record. ARGV: now (ms), condition (n|a|e|v), expected version, payload,
     * expiry (epoch s, or empty), sort key, record TTL (ms), grace (s).
     */
    static final Script PUT = Script.of("put", """
            local done = redis.call('GET', KEYS[3])
            if done then return {'done', done} end
            local cur, hade = live(KEYS[1], tonumber(ARGV[1]))
            if not holds(ARGV[2], ARGV[3], cur) then return {'cf', cur or 0} end
            local vs = string.format('%d', (cur or 0) + 1)
            write(KEYS[1], KEYS[2], ARGV[6], vs, ARGV[4], ARGV[5], tonumber(ARGV[8]), hade)
            redis.call('SET', KEYS[3], vs, 'PX', ARGV[7])
            return {'ok', vs}
            """);

    /** KEYS: item, index, record. ARGV: now (ms), condition (n|e|v), expected version, sort key, record TTL (ms). */
    static final Script DELETE = Script.of("delete", """
            local done = redis.call('GET', KEYS[3])
            if done then return {'done', done} end
            local cur = live(KEYS[1], tonumber(ARGV[1]))
            if not holds(ARGV[2], ARGV[3], cur) then return {'cf', cur or 0} end
            remove(KEYS[1], KEYS[2], ARGV[4])
            if cur then
              redis.call('SET', KEYS[3], '1', 'PX', ARGV[5])
              return {'ok', '1'}
            end
            return {'ok', '0'}
            """);

    /**
     * KEYS: item and index of each operation, then the record. ARGV: now (ms), record TTL (ms),
     * grace (s), operation count, then per operation: kind (p|d|c), condition, expected version,
     * payload, expiry, sort key. Every condition is checked before anything is written.
     */
    static final Script TRANSACT = Script.of("transact", """
            local rec = KEYS[#KEYS]
            local done = redis.call('GET', rec)
            if done then return {'done', done} end
            local now = tonumber(ARGV[1])
            local grace = tonumber(ARGV[3])
            local n = tonumber(ARGV[4])
            local curs = {}
            local hades = {}
            for i = 1, n do
              local a = 4 + (i - 1) * 6
              local cur, hade = live(KEYS[2 * i - 1], now)
              if not holds(ARGV[a + 2], ARGV[a + 3], cur) then return {'cf', i - 1, cur or 0} end
              curs[i] = cur or 0
              hades[i] = hade
            end
            local out = {}
            for i = 1, n do
              local a = 4 + (i - 1) * 6
              local kind = ARGV[a + 1]
              if kind == 'p' then
                local vs = string.format('%d', curs[i] + 1)
                write(KEYS[2 * i - 1], KEYS[2 * i], ARGV[a + 6], vs, ARGV[a + 4], ARGV[a + 5], grace, hades[i])
                out[i] = vs
              else
                if kind == 'd' then remove(KEYS[2 * i - 1], KEYS[2 * i], ARGV[a + 6]) end
                out[i] = '0'
              end
            end
            local joined = table.concat(out, ',')
            redis.call('SET', rec, joined, 'PX', ARGV[2])
            return {'ok', joined}
            """);

    /**
     * KEYS: index. ARGV: now (ms), item key base (item key = base + member), direction (a|d),
     * lex min, lex max, limit, most members examined. Answers {@code {resume after, {sk, payload,
     * version, expiry, …}}}, resume after empty when the range is exhausted. Members whose hash is
     * gone or expired are removed (lazy cleanup), with the expired hash.
     */
    static final Script QUERY = Script.of("query", """
            local now = tonumber(ARGV[1])
            local base = ARGV[2]
            local asc = ARGV[3] == 'a'
            local min, max = ARGV[4], ARGV[5]
            local limit = tonumber(ARGV[6])
            local budget = tonumber(ARGV[7])
            local out = {}
            local found, scanned = 0, 0
            local last = nil
            local more = false
            while true do
              local batch = math.min(limit - found, budget - scanned) + 1
              local members
              if asc then
                members = redis.call('ZRANGEBYLEX', KEYS[1], min, max, 'LIMIT', 0, batch)
              else
                members = redis.call('ZREVRANGEBYLEX', KEYS[1], max, min, 'LIMIT', 0, batch)
              end
              local stop = false
              for _, m in ipairs(members) do
                if found == limit or scanned == budget then
                  more = true
                  stop = true
                  break
                end
                scanned = scanned + 1
                local f = redis.call('HMGET', base .. m, 'p', 'v', 'e')
                if f[2] and (not f[3] or tonumber(f[3]) * 1000 > now) then
                  out[#out + 1] = m
                  out[#out + 1] = f[1]
                  out[#out + 1] = f[2]
                  out[#out + 1] = f[3] or ''
                  found = found + 1
                else
                  redis.call('ZREM', KEYS[1], m)
                  if f[2] then redis.call('DEL', base .. m) end
                end
                last = m
              end
              if stop or #members < batch then break end
              if asc then min = '(' .. last else max = '(' .. last end
            end
            if more then return {last, out} end
            return {'', out}
            """);

    /**
     * Reads one partition of a store for a scan, in sort-key order, and changes nothing. KEYS:
     * index. ARGV: now (ms), item key base, lex min ({@code -} or {@code (sk}), most items, payload
     * bytes left in the page, items already in the page, most members examined. Answers
     * {@code {more (1|0), resume after, expired passed, {sk, payload, version, expiry, …}, members
     * examined}}} (resume after means nothing when no member was examined: the empty sort key is a
     * member like any other). An item that would take the page past its bytes (unless the page is
     * empty) is left for the next page.
     */
    static final Script SCAN = Script.of("scan", """
            local now = tonumber(ARGV[1])
            local base = ARGV[2]
            local min = ARGV[3]
            local limit = tonumber(ARGV[4])
            local room = tonumber(ARGV[5])
            local have = tonumber(ARGV[6])
            local budget = tonumber(ARGV[7])
            local out = {}
            local found, scanned, expired, bytes = 0, 0, 0, 0
            local last = ''
            while true do
              local members = redis.call('ZRANGEBYLEX', KEYS[1], min, '+', 'LIMIT', 0, 64)
              for _, m in ipairs(members) do
                if found == limit or scanned == budget then return {1, last, expired, out, scanned} end
                local f = redis.call('HMGET', base .. m, 'p', 'v', 'e')
                if f[2] then
                  if f[3] and tonumber(f[3]) * 1000 <= now then
                    expired = expired + 1
                  else
                    local p = f[1] or ''
                    if have + found > 0 and bytes + #p > room then return {1, last, expired, out, scanned} end
                    out[#out + 1] = m
                    out[#out + 1] = p
                    out[#out + 1] = f[2]
                    out[#out + 1] = f[3] or ''
                    found = found + 1
                    bytes = bytes + #p
                  end
                end
                scanned = scanned + 1
                last = m
              end
              if #members < 64 then return {0, last, expired, out, scanned} end
              min = '(' .. last
            end
            """);

    /**
     * Writes items exactly as given (version, payload, expiry). KEYS: item and index of each item,
     * then the record. ARGV: now (ms), record TTL (ms), grace (s), mode ({@code i} if newer,
     * {@code o} overwrite), item count, then per item: version, payload, expiry (epoch s, or
     * empty), sort key. With {@code i} an item is written only over no live item or a lower
     * version. Answers {@code {"ok"|"done", "w,k7,…"}}: per item {@code w} written or {@code k}
     * and the version kept; a second run of the same write answers the first run's record.
     */
    static final Script IMPORT = Script.of("import", """
            local rec = KEYS[#KEYS]
            local done = redis.call('GET', rec)
            if done then return {'done', done} end
            local now = tonumber(ARGV[1])
            local grace = tonumber(ARGV[3])
            local ifnewer = ARGV[4] == 'i'
            local n = tonumber(ARGV[5])
            local out = {}
            for i = 1, n do
              local a = 5 + (i - 1) * 4
              local cur, hade = live(KEYS[2 * i - 1], now)
              local v = ARGV[a + 1]
              if ifnewer and cur ~= nil and cur >= tonumber(v) then
                out[i] = 'k' .. string.format('%d', cur)
              else
                write(KEYS[2 * i - 1], KEYS[2 * i], ARGV[a + 4], v, ARGV[a + 2], ARGV[a + 3], grace, hade)
                out[i] = 'w'
              end
            end
            local joined = table.concat(out, ',')
            redis.call('SET', rec, joined, 'PX', ARGV[2])
            return {'ok', joined}
            """);

    static final Script[] ALL = {PUT, DELETE, TRANSACT, QUERY, SCAN, IMPORT};
}
