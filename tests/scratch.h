/*
 * Scratch files for the tests that write inputs of their own: one temporary
 * directory per test program (scratch_open / scratch_close, which removes it
 * with everything in it), paths inside it (scratch_path; the last eight stay
 * valid, so a test can hold a few at once) and files written there
 * (scratch_write). Also a read-error collector for nps_read_options.on_error
 * that keeps the count and the last message.
 */
#ifndef NPS_TEST_SCRATCH_H
#define NPS_TEST_SCRATCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char scratch_dir[256];

/* Create /tmp/nps_<name>_XXXXXX; 0 on success. */
static inline int scratch_open(const char *name)
{
    snprintf(scratch_dir, sizeof scratch_dir, "/tmp/nps_%s_XXXXXX", name);
    return mkdtemp(scratch_dir) ? 0 : -1;
}

static inline void scratch_close(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", scratch_dir);
}

static inline const char *scratch_path(const char *name)
{
    static char path[8][512];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, sizeof path[0], "%s/%s", scratch_dir, name);
    return p;
}

/* Write len bytes (len 0: strlen(content)) to the scratch file `name`. */
static inline const char *scratch_write(const char *name, const char *content, size_t len)
{
    const char *p = scratch_path(name);
    FILE *fp = fopen(p, "wb");
    if (!fp) exit(2);
    if (!len) len = strlen(content);
    if (len && fwrite(content, 1, len, fp) != len) exit(2);
    fclose(fp);
    return p;
}

/* nps_read_options.on_error collector. */
static int diag_count;
static char diag_last[512];

static inline void on_diag(void *ctx, const char *file, size_t line, const char *reason)
{
    (void)ctx;
    diag_count++;
    snprintf(diag_last, sizeof diag_last, "%s:%zu: %s", file, line, reason);
}

static inline void diag_reset(void)
{
    diag_count = 0;
    diag_last[0] = '\0';
}

#endif
