/*
 * The floor of sopkit's durable paths: what the system SQLite does for the same writes with
 * nothing else, in WAL with synchronous=FULL as sopkit's store (Benchmarks/durable-floor.sh).
 *
 *   floor init DB N      N waiting runs (a 1 KiB JSON row each) and their start records
 *   floor step DB ID     one process: read a run's row, update it, append a 400-byte journal
 *                        record, commit (what `sop step` must at least do)
 *   floor tick DB NOW    every run due at NOW, 5,000 per transaction: read, update, append
 *   floor insert DB N    N new runs with a start record each, 5,000 per transaction
 *   floor group DB K     group commit: the runs `init` made stepped in turn, K steps per
 *                        transaction (a server's K connections each waiting on one step), for
 *                        5 seconds; prints steps/s
 *
 * The schema is sopkit's (runs and an append-ordered journal with a unique (run, seq) index).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static sqlite3 *db;

static void check(int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        fprintf(stderr, "floor: %s: %s\n", what, sqlite3_errmsg(db));
        exit(2);
    }
}

static void exec(const char *sql) { check(sqlite3_exec(db, sql, NULL, NULL, NULL), sql); }

static sqlite3_stmt *prepare(const char *sql) {
    sqlite3_stmt *s;
    check(sqlite3_prepare_v2(db, sql, -1, &s, NULL), sql);
    return s;
}

static void open_db(const char *path) {
    check(sqlite3_open(path, &db), "open");
    sqlite3_busy_timeout(db, 30000);
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA synchronous = FULL");
    exec("CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, sop TEXT NOT NULL, state TEXT NOT NULL, status TEXT NOT NULL,"
         " version INTEGER NOT NULL, next_due INTEGER, data TEXT NOT NULL);"
         "CREATE INDEX IF NOT EXISTS runs_due ON runs(next_due) WHERE status = 'waiting';"
         "CREATE TABLE IF NOT EXISTS journal (run TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL, record TEXT NOT NULL);"
         "CREATE UNIQUE INDEX IF NOT EXISTS journal_run_seq ON journal(run, seq);");
}

static char record[401], data[1025];

static void fill(void) {
    memset(record, 'r', 400);
    record[400] = 0;
    memset(data, 'd', 1024);
    data[1024] = 0;
}

static sqlite3_stmt *insert_run, *insert_record, *read_run, *update_run;

static void prepare_all(void) {
    insert_run = prepare("INSERT INTO runs (id, sop, state, status, version, next_due, data) VALUES (?, 'loop', 'a', 'waiting', 1, ?, ?)");
    insert_record = prepare("INSERT INTO journal (run, seq, hash, record) VALUES (?, ?, 'sha256:0000', ?)");
    read_run = prepare("SELECT rowid, data, version FROM runs WHERE id = ?");
    update_run = prepare("UPDATE runs SET state = 'b', version = version + 1, next_due = NULL, data = ? WHERE id = ? AND version = ?");
}

static void start_run(const char *id, long long due) {
    sqlite3_bind_text(insert_run, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(insert_run, 2, due);
    sqlite3_bind_text(insert_run, 3, data, -1, SQLITE_STATIC);
    check(sqlite3_step(insert_run), "insert run");
    sqlite3_reset(insert_run);
    sqlite3_bind_text(insert_record, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(insert_record, 2, 0);
    sqlite3_bind_text(insert_record, 3, record, -1, SQLITE_STATIC);
    check(sqlite3_step(insert_record), "insert record");
    sqlite3_reset(insert_record);
}

/* Reads a run, updates it and appends its next record (in the caller's transaction). */
static void step_run(const char *id) {
    sqlite3_bind_text(read_run, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(read_run) != SQLITE_ROW) { fprintf(stderr, "floor: no run %s\n", id); exit(2); }
    int version = sqlite3_column_int(read_run, 2);
    sqlite3_reset(read_run);
    sqlite3_bind_text(update_run, 1, data, -1, SQLITE_STATIC);
    sqlite3_bind_text(update_run, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(update_run, 3, version);
    check(sqlite3_step(update_run), "update run");
    sqlite3_reset(update_run);
    sqlite3_bind_text(insert_record, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(insert_record, 2, version);
    sqlite3_bind_text(insert_record, 3, record, -1, SQLITE_STATIC);
    check(sqlite3_step(insert_record), "append record");
    sqlite3_reset(insert_record);
}

static void insert(long n, const char *prefix, long long due) {
    char id[64];
    for (long i = 0; i < n; i++) {
        if (i % 5000 == 0) exec("BEGIN IMMEDIATE");
        snprintf(id, sizeof id, "%s%ld", prefix, i);
        start_run(id, due);
        if (i % 5000 == 4999 || i == n - 1) exec("COMMIT");
    }
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: floor init|step|tick|insert DB ARG\n");
        return 2;
    }
    fill();
    open_db(argv[2]);
    prepare_all();
    if (strcmp(argv[1], "init") == 0) {
        insert(atol(argv[3]), "f-", 0);
    } else if (strcmp(argv[1], "insert") == 0) {
        insert(atol(argv[3]), "n-", 0);
    } else if (strcmp(argv[1], "step") == 0) {
        exec("BEGIN IMMEDIATE");
        step_run(argv[3]);
        exec("COMMIT");
    } else if (strcmp(argv[1], "group") == 0) {
        long k = atol(argv[3]), runs = 0, steps = 0;
        sqlite3_stmt *count = prepare("SELECT count(*) FROM runs WHERE id LIKE 'f-%'");
        check(sqlite3_step(count), "count runs");
        runs = sqlite3_column_int64(count, 0);
        sqlite3_finalize(count);
        if (k < 1 || runs < 1) { fprintf(stderr, "floor: group needs K >= 1 and runs made by init\n"); return 2; }
        char id[64];
        double start = seconds(), now = start;
        while (now - start < 5.0) {
            exec("BEGIN IMMEDIATE");
            for (long i = 0; i < k; i++, steps++) {
                snprintf(id, sizeof id, "f-%ld", steps % runs);
                step_run(id);
            }
            exec("COMMIT");
            now = seconds();
        }
        printf("%.0f\n", steps / (now - start));
    } else if (strcmp(argv[1], "tick") == 0) {
        sqlite3_stmt *due = prepare("SELECT id FROM runs WHERE status = 'waiting' AND next_due <= ? ORDER BY rowid");
        sqlite3_bind_int64(due, 1, atoll(argv[3]));
        char **ids = NULL;
        long n = 0, cap = 0;
        while (sqlite3_step(due) == SQLITE_ROW) {
            if (n == cap) { cap = cap ? cap * 2 : 1024; ids = realloc(ids, cap * sizeof *ids); }
            ids[n++] = strdup((const char *)sqlite3_column_text(due, 0));
        }
        sqlite3_finalize(due);
        for (long i = 0; i < n; i++) {
            if (i % 5000 == 0) exec("BEGIN IMMEDIATE");
            step_run(ids[i]);
            if (i % 5000 == 4999 || i == n - 1) exec("COMMIT");
        }
        printf("%ld\n", n);
    } else {
        fprintf(stderr, "floor: unknown mode %s\n", argv[1]);
        return 2;
    }
    sqlite3_finalize(insert_run);
    sqlite3_finalize(insert_record);
    sqlite3_finalize(read_run);
    sqlite3_finalize(update_run);
    sqlite3_close(db);
    return 0;
}
