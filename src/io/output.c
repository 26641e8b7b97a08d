/*
 * Output files, written so that nothing is lost or damaged.
 *
 * The classic way to write a file safely is to write a temporary file beside
 * it, fsync, and rename it over the old one: a crash or a full disk leaves
 * the old file whole. But applied to every path, that rule destroys things.
 * Renamed onto /dev/null it replaces the device with an ordinary file (run as
 * root, that breaks the system); onto a symbolic link it replaces the link,
 * not the file the link names; onto /dev/stdout of a redirected command it
 * unlinks the file the shell opened, so the output vanishes. So the rule is
 * applied only where it is right:
 *
 *  - a regular file, or a path that does not exist yet: temporary file in
 *    the same directory, fsync, rename. For a symbolic link, the temporary
 *    file sits beside the link's target and replaces it; the link stays.
 *    An existing file's permission bits are kept.
 *  - "-", a device node, a FIFO, a socket, anything under /dev/ or /proc/
 *    (the /dev/stdout, /dev/fd/N family): written in place.
 *
 * Every write is checked where it can fail late: at the flush, the fsync and
 * the close. A full disk (ENOSPC), a closed pipe (EPIPE; the CLI ignores
 * SIGPIPE so the error arrives here) or a read-only target is an error with
 * the path and the reason, and the temporary file is removed.
 *
 * Some producers (HDF5) need a file name rather than a stream: for them the
 * output hands out a path to write; at commit a regular target is renamed
 * into place, and an in-place target (a device, a FIFO, standard output)
 * receives a copy of the bytes.
 */
#include "../core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct nps_output {
    FILE *fp;     /* the stream producers write (NULL for a by-path output) */
    char *name;   /* as given, for messages ("stdout" for "-") */
    char *target; /* atomic: the file the temporary file replaces */
    char *tmp;    /* atomic or by-path: the temporary file */
    char *place;  /* in place: the path opened for writing (NULL: stdout) */
    int in_place;
    int by_path;
    int is_stdout;
};

static int special_path(const char *path)
{
    return strncmp(path, "/dev/", 5) == 0 || strncmp(path, "/proc/", 6) == 0;
}

/* The path of the file a (possibly dangling) symbolic link names, one level
 * resolved, relative targets taken from the link's directory. */
static char *link_target(const char *path)
{
    char buf[PATH_MAX];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n < 0) return NULL;
    buf[n] = '\0';
    if (buf[0] == '/') return nps_strdup(buf);
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
    char *out = malloc(dir + (size_t)n + 1);
    if (!out) return NULL;
    memcpy(out, path, dir);
    memcpy(out + dir, buf, (size_t)n + 1);
    return out;
}

/*
 * Decide how to write `path`: in place (*in_place = 1) or by replacing
 * *target atomically.
 */
static int plan_target(char **target, int *in_place, const char *path)
{
    *target = NULL;
    *in_place = 0;
    struct stat lst, st;
    if (lstat(path, &lst) != 0) {
        if (errno != ENOENT) return nps_err(NPS_EIO, "%s: cannot write: %s", path, strerror(errno));
        *target = nps_strdup(path); /* a new file */
        return *target ? 0 : nps_err(NPS_ENOMEM, "out of memory");
    }
    if (special_path(path)) {
        *in_place = 1;
        return 0;
    }
    if (S_ISLNK(lst.st_mode)) {
        char *t = link_target(path);
        if (!t) return nps_err(NPS_EIO, "%s: cannot read the link: %s", path, strerror(errno));
        if (special_path(t)) { /* e.g. a link to /proc/self/fd/1 */
            free(t);
            *in_place = 1;
            return 0;
        }
        if (stat(path, &st) != 0) { /* dangling: create what it names */
            *target = t;
            return 0;
        }
        free(t);
        if (S_ISREG(st.st_mode)) {
            /* the link's final target, through any chain of links */
            char *real = realpath(path, NULL);
            if (!real) return nps_err(NPS_EIO, "%s: cannot resolve: %s", path, strerror(errno));
            *target = real;
            return 0;
        }
        lst = st;
    }
    if (S_ISDIR(lst.st_mode)) return nps_err(NPS_EIO, "%s: is a directory", path);
    if (S_ISREG(lst.st_mode)) {
        *target = nps_strdup(path);
        return *target ? 0 : nps_err(NPS_ENOMEM, "out of memory");
    }
    *in_place = 1; /* device node, FIFO, socket */
    return 0;
}

/* Create a new temporary file next to `beside` (or in TMPDIR when beside is
 * NULL), with the permission bits of `beside` when that is an existing file. */
static int make_temp(char **tmp_path, int *fd_out, const char *beside)
{
    char base[PATH_MAX];
    if (beside) {
        snprintf(base, sizeof base, "%s", beside);
    } else {
        const char *dir = getenv("TMPDIR");
        snprintf(base, sizeof base, "%s/npsmatch-output", dir && *dir ? dir : "/tmp");
    }
    size_t cap = strlen(base) + 32;
    char *p = malloc(cap);
    if (!p) return nps_err(NPS_ENOMEM, "out of memory");
    /* <target>.tmp.<pid>.<n>: O_EXCL makes the name ours; a name in use (two
     * threads writing one target) moves on to the next n */
    for (unsigned k = 0; k < 100; k++) {
        snprintf(p, cap, "%s.tmp.%ld.%u", base, (long)getpid(), k);
        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            struct stat st;
            if (beside && stat(beside, &st) == 0 && S_ISREG(st.st_mode))
                (void)fchmod(fd, st.st_mode & 07777);
            *tmp_path = p;
            *fd_out = fd;
            return 0;
        }
        if (errno != EEXIST) {
            int rc =
                nps_err(NPS_EIO, "%s: cannot create: %s", beside ? beside : base, strerror(errno));
            free(p);
            return rc;
        }
    }
    free(p);
    return nps_err(NPS_EIO, "%s: cannot create a temporary file", beside ? beside : base);
}

static void output_free(nps_output *o)
{
    free(o->name);
    free(o->target);
    free(o->tmp);
    free(o->place);
    free(o);
}

static int open_common(nps_output **out, const char *path, int by_path)
{
    if (!out || !path || !*path) return nps_err(NPS_EINVAL, "nps_output_open: no path");
    *out = NULL;
    nps_output *o = calloc(1, sizeof *o);
    if (!o) return nps_err(NPS_ENOMEM, "out of memory");
    o->by_path = by_path;
    o->is_stdout = strcmp(path, "-") == 0;
    o->name = nps_strdup(o->is_stdout ? "stdout" : path);
    if (!o->name) {
        output_free(o);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    int rc = 0;
    if (o->is_stdout) {
        o->in_place = 1;
    } else {
        rc = plan_target(&o->target, &o->in_place, path);
        if (!rc && o->in_place && !(o->place = nps_strdup(path))) rc = NPS_ENOMEM;
    }
    int fd = -1;
    if (!rc && (!o->in_place || by_path))
        rc = make_temp(&o->tmp, &fd, o->in_place ? NULL : o->target);
    if (!rc && !by_path) {
        if (o->tmp) {
            o->fp = fdopen(fd, "wb");
            if (o->fp) fd = -1;
        } else if (o->is_stdout) {
            o->fp = stdout;
        } else {
            o->fp = fopen(path, "wb");
        }
        if (!o->fp) rc = nps_err(NPS_EIO, "%s: cannot write: %s", o->name, strerror(errno));
    }
    if (fd >= 0) close(fd);
    if (rc) {
        if (o->tmp) remove(o->tmp);
        output_free(o);
        return rc;
    }
    *out = o;
    return 0;
}

int nps_output_writes_in_place(const char *path)
{
    if (!path || strcmp(path, "-") == 0) return 1;
    char *target = NULL;
    int in_place = 0;
    if (plan_target(&target, &in_place, path)) in_place = 0;
    free(target);
    return in_place;
}

int nps_output_open(nps_output **out, const char *path)
{
    return open_common(out, path, 0);
}

int nps_output_open_path(nps_output **out, const char *path)
{
    return open_common(out, path, 1);
}

FILE *nps_output_stream(nps_output *o)
{
    return o ? o->fp : NULL;
}

const char *nps_output_write_path(const nps_output *o)
{
    return o && o->by_path ? o->tmp : NULL;
}

const char *nps_output_name(const nps_output *o)
{
    return o ? o->name : NULL;
}

int nps_output_in_place(const nps_output *o)
{
    return o ? o->in_place : 0;
}

static int write_failed(const nps_output *o, int err)
{
    return nps_err(NPS_EIO, "%s: write failed: %s", o->name,
                   err ? strerror(err) : "error on the output stream");
}

/* Copy the finished temporary file into the in-place target. */
static int copy_into_place(nps_output *o)
{
    FILE *in = fopen(o->tmp, "rb");
    if (!in) return nps_err(NPS_EIO, "%s: cannot read back: %s", o->tmp, strerror(errno));
    FILE *dst = o->is_stdout ? stdout : fopen(o->place, "wb");
    if (!dst) {
        int rc = nps_err(NPS_EIO, "%s: cannot write: %s", o->name, strerror(errno));
        fclose(in);
        return rc;
    }
    char buf[65536];
    size_t n;
    int rc = 0;
    while (!rc && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, dst) != n) rc = write_failed(o, errno);
    if (!rc && ferror(in)) rc = nps_err(NPS_EIO, "%s: read error", o->tmp);
    fclose(in);
    if (!rc && fflush(dst) != 0) rc = write_failed(o, errno);
    if (!rc && ferror(dst)) rc = write_failed(o, 0);
    if (dst != stdout && fclose(dst) != 0 && !rc) rc = write_failed(o, errno);
    return rc;
}

/* fsync a file written by path (the producer closed it). */
static int sync_path(const nps_output *o)
{
    int fd = open(o->tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nps_err(NPS_EIO, "%s: cannot reopen: %s", o->tmp, strerror(errno));
    int rc = fsync(fd) != 0 ? write_failed(o, errno) : 0;
    close(fd);
    return rc;
}

int nps_output_commit(nps_output *o)
{
    if (!o) return nps_err(NPS_EINVAL, "nps_output_commit: NULL output");
    int rc = 0;
    if (o->fp) {
        if (fflush(o->fp) != 0)
            rc = write_failed(o, errno);
        else if (ferror(o->fp))
            rc = write_failed(o, 0);
        if (!rc && o->tmp && fsync(fileno(o->fp)) != 0) rc = write_failed(o, errno);
        if (o->fp != stdout) {
            if (fclose(o->fp) != 0 && !rc) rc = write_failed(o, errno);
        } else {
            clearerr(stdout);
        }
        o->fp = NULL;
    } else if (o->by_path && !o->in_place) {
        rc = sync_path(o);
    }
    if (!rc && o->by_path && o->in_place) rc = copy_into_place(o);
    if (!rc && o->tmp && !o->in_place && rename(o->tmp, o->target) != 0)
        rc = nps_err(NPS_EIO, "%s: cannot rename into place: %s", o->name, strerror(errno));
    if (o->tmp && (rc || o->in_place)) remove(o->tmp);
    output_free(o);
    return rc;
}

void nps_output_discard(nps_output *o)
{
    if (!o) return;
    if (o->fp && o->fp != stdout) fclose(o->fp);
    if (o->fp == stdout) fflush(stdout);
    if (o->tmp) remove(o->tmp);
    output_free(o);
}
