/*
 * Scenario E's baseline: the durable insert transaction that `POST /v1/keys` commits, done by
 * raw C against libsqlite3 with nothing else around it (no HTTP, no JSON, no Swift).
 *
 *   baseline_insert DB MIGRATIONS_DIR SECONDS MODE
 *
 * It opens DB the way theta-console opens every connection (WAL, synchronous=FULL, foreign keys,
 * busy timeout), applies the migrations (*.sql) in name order unless DB already has the schema (a
 * copy of theta-console's database), then for SECONDS runs, one after another:
 *
 *   MODE "key":    BEGIN IMMEDIATE; INSERT one api_keys row; INSERT its audit_events row; COMMIT
 *                  (the same rows, tables and indexes as theta-console's create; the default)
 *   MODE "single": BEGIN IMMEDIATE; INSERT one api_keys row; COMMIT
 *
 * with statements prepared once. It prints "BASELINE {json}" with the operations per second.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

static void check(sqlite3 *db, int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "baseline_insert: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

static void apply_migrations(sqlite3 *db, const char *dir) {
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name);
    if (n < 0) { perror(dir); exit(1); }
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]->d_name);
        if (len > 4 && strcmp(names[i]->d_name + len - 4, ".sql") == 0) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
            FILE *f = fopen(path, "rb");
            if (!f) { perror(path); exit(1); }
            fseek(f, 0, SEEK_END);
            long size = ftell(f);
            fseek(f, 0, SEEK_SET);
            char *sql = malloc(size + 1);
            if (fread(sql, 1, size, f) != (size_t)size) { perror(path); exit(1); }
            sql[size] = 0;
            fclose(f);
            check(db, sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), "begin");
            check(db, sqlite3_exec(db, sql, NULL, NULL, NULL), path);
            check(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
            free(sql);
        }
        free(names[i]);
    }
    free(names);
}

/* xorshift64*: cheap distinct ids and secret digests; randomness quality is irrelevant here. */
static uint64_t state = 0x9E3779B97F4A7C15ull;
static uint64_t next_random(void) {
    state ^= state >> 12; state ^= state << 25; state ^= state >> 27;
    return state * 0x2545F4914F6CDD1Dull;
}

static void random_id(char *out, const char *prefix) {
    static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    size_t p = strlen(prefix);
    memcpy(out, prefix, p);
    for (int i = 0; i < 20; i++) out[p + i] = alphabet[next_random() % 62];
    out[p + 20] = 0;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql) {
    sqlite3_stmt *statement;
    check(db, sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, NULL), sql);
    return statement;
}

static void run(sqlite3 *db, sqlite3_stmt *statement, const char *what) {
    check(db, sqlite3_step(statement), what);
    sqlite3_reset(statement);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: baseline_insert DB MIGRATIONS_DIR SECONDS key|single\n");
        return 64;
    }
    const char *path = argv[1];
    double seconds = atof(argv[3]);
    int with_event = strcmp(argv[4], "single") != 0;
    state ^= (uint64_t)time(NULL) * 0x100000001B3ull;

    sqlite3 *db;
    check(NULL, sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL), "open");
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 5000);
    check(db, sqlite3_exec(db, "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL",
                           NULL, NULL, NULL), "pragmas");
    /* A copy of a theta-console database already has the schema; a new file gets it here. */
    sqlite3_stmt *exists;
    check(db, sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = 'api_keys'", -1, &exists, NULL),
          "schema check");
    check(db, sqlite3_step(exists), "schema check");
    int has_schema = sqlite3_column_int(exists, 0) > 0;
    sqlite3_finalize(exists);
    if (!has_schema) apply_migrations(db, argv[2]);

    sqlite3_stmt *begin = prepare(db, "BEGIN IMMEDIATE");
    sqlite3_stmt *commit = prepare(db, "COMMIT");
    sqlite3_stmt *key = prepare(db,
        "INSERT INTO api_keys (id, name, secret_sha256, hint, created_at, expires_at, rate_limit_rpm) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)");
    sqlite3_stmt *event = prepare(db,
        "INSERT INTO audit_events (id, at, action, key_id, actor, remote_addr, detail) VALUES (?, ?, ?, ?, ?, ?, ?)");

    long operations = 0;
    double start = now_seconds(), end = start + seconds, t = start;
    while (t < end) {
        char id[32], event_id[32];
        unsigned char digest[32];
        random_id(id, "key_");
        random_id(event_id, "evt_");
        for (int i = 0; i < 32; i += 8) { uint64_t r = next_random(); memcpy(digest + i, &r, 8); }
        sqlite3_int64 at = (sqlite3_int64)time(NULL);

        run(db, begin, "begin");
        sqlite3_bind_text(key, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(key, 2, "bench", -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(key, 3, digest, 32, SQLITE_TRANSIENT);
        sqlite3_bind_text(key, 4, "sk-theta-abcd\xE2\x80\xA6wxyz", -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(key, 5, at);
        sqlite3_bind_null(key, 6);
        sqlite3_bind_int64(key, 7, 100);
        run(db, key, "insert key");
        if (with_event) {
            sqlite3_bind_text(event, 1, event_id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(event, 2, at);
            sqlite3_bind_text(event, 3, "key.created", -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(event, 4, id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(event, 5, "api", -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(event, 6, "127.0.0.1", -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(event, 7, "bench", -1, SQLITE_TRANSIENT);
            run(db, event, "insert event");
        }
        run(db, commit, "commit");
        operations++;
        t = now_seconds();
    }
    printf("BASELINE {\"operations\":%ld,\"seconds\":%.6f,\"ops_per_second\":%.1f}\n",
           operations, t - start, operations / (t - start));
    sqlite3_finalize(begin); sqlite3_finalize(commit); sqlite3_finalize(key); sqlite3_finalize(event);
    return sqlite3_close(db) == SQLITE_OK ? 0 : 1;
}
