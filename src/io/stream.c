/*
 * The input stream under every reader.
 *
 * Readers used to open their path themselves, and format detection opened it
 * a second time to sniff the first 8 KiB. That cannot work for a pipe, a FIFO
 * or a process substitution: the sniffed bytes are gone when the reader
 * starts (10 spectra of a MassBank subset were lost that way), and a FIFO
 * opened twice waits forever for a second writer. So the source is opened
 * once, here, and everything after it reads forward through one buffer:
 * detection peeks (the bytes stay buffered), the reader then consumes.
 *
 * gzip is recognised by its magic bytes (1f 8b), not by the name, and
 * inflated with zlib as the bytes arrive; concatenated members (what
 * `cat a.gz b.gz` and parallel gzip tools produce) are read one after
 * another, as gzip(1) does. A member cut short, or damaged, is an I/O error
 * (NPS_EIO, which stops the command), never a silent end: a truncated
 * download must not pass for a shorter library.
 *
 * A plain memory buffer is not copied; the stream's window is the caller's
 * buffer itself.
 */
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define CHUNK ((size_t)64 << 10)

struct nps_stream {
    int fd, own_fd;           /* file source (fd < 0: memory) */
    const unsigned char *mem; /* memory source */
    size_t mem_len, mem_pos;
    char *name;
    const unsigned char *view; /* decoded bytes: view[pos, len) */
    unsigned char *buf;        /* owned storage behind view (NULL for plain memory) */
    size_t cap, pos, len;
    int raw_eof, eof, err;
    int gz, z_ready, z_member_done;
    z_stream z;
    unsigned char *in; /* raw gzip bytes awaiting inflate */
    unsigned long long members;
};

const char *nps_stream_name(const nps_stream *s)
{
    return s->name;
}

int nps_stream_gzip(const nps_stream *s)
{
    return s->gz;
}

static int fail(nps_stream *s, int rc)
{
    s->err = rc;
    return rc;
}

/* Raw bytes from the source, as many as one read gives. */
static int raw_read(nps_stream *s, unsigned char *dst, size_t cap, size_t *got)
{
    *got = 0;
    if (s->raw_eof || cap == 0) return 0;
    if (s->fd < 0) {
        size_t n = s->mem_len - s->mem_pos;
        if (n > cap) n = cap;
        memcpy(dst, s->mem + s->mem_pos, n);
        s->mem_pos += n;
        *got = n;
        if (s->mem_pos == s->mem_len) s->raw_eof = 1;
        return 0;
    }
    for (;;) {
        ssize_t n = read(s->fd, dst, cap);
        if (n > 0) {
            *got = (size_t)n;
            return 0;
        }
        if (n == 0) {
            s->raw_eof = 1;
            return 0;
        }
        if (errno == EINTR) continue;
        return fail(s, nps_err(NPS_EIO, "%s: read error: %s", s->name, strerror(errno)));
    }
}

/* Make room for at least `want` buffered bytes from pos. */
static int room(nps_stream *s, size_t want)
{
    if (s->pos == s->len) s->pos = s->len = 0;
    if (s->pos > 0 && s->len + CHUNK / 4 > s->cap) {
        memmove(s->buf, s->buf + s->pos, s->len - s->pos);
        s->len -= s->pos;
        s->pos = 0;
    }
    size_t need = s->pos + want;
    if (need < s->len + CHUNK / 4) need = s->len + CHUNK / 4;
    if (need > s->cap) {
        size_t cap = s->cap ? s->cap : CHUNK;
        while (cap < need) cap *= 2;
        unsigned char *b = realloc(s->buf, cap);
        if (!b) return fail(s, nps_err(NPS_ENOMEM, "out of memory"));
        s->buf = b;
        s->cap = cap;
    }
    s->view = s->buf;
    return 0;
}

/* Inflate into buf[len, cap); produces at least one byte unless at the end. */
static int inflate_some(nps_stream *s)
{
    for (;;) {
        if (s->z.avail_in == 0 && !s->raw_eof) {
            size_t got;
            int rc = raw_read(s, s->in, CHUNK, &got);
            if (rc) return rc;
            s->z.next_in = s->in;
            s->z.avail_in = (uInt)got;
        }
        if (s->z_member_done) {
            if (s->z.avail_in == 0) {
                if (s->raw_eof) {
                    s->eof = 1;
                    return 0;
                }
                continue;
            }
            /* another member follows */
            if (inflateReset(&s->z) != Z_OK)
                return fail(s, nps_err(NPS_EIO, "%s: gzip: cannot restart", s->name));
            s->z_member_done = 0;
        }
        if (s->z.avail_in == 0 && s->raw_eof)
            return fail(s, nps_err(NPS_EIO,
                                   "%s: gzip data ends before the end of its stream (truncated "
                                   "file)",
                                   s->name));
        s->z.next_out = s->buf + s->len;
        s->z.avail_out = (uInt)(s->cap - s->len);
        int zr = inflate(&s->z, Z_NO_FLUSH);
        size_t made = (size_t)(s->z.next_out - (s->buf + s->len));
        s->len += made;
        if (zr == Z_STREAM_END) {
            s->z_member_done = 1;
            s->members++;
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            return fail(s, nps_err(NPS_EIO, "%s: corrupt gzip data (%s) after %lu bytes", s->name,
                                   s->z.msg ? s->z.msg : "inflate failed",
                                   (unsigned long)s->z.total_out));
        }
        if (made) return 0;
    }
}

/* Append more decoded bytes to the buffer (or set eof). */
static int fill(nps_stream *s, size_t want)
{
    if (s->err) return s->err;
    if (s->eof) return 0;
    if (!s->buf) { /* plain memory: everything is already in view */
        s->eof = 1;
        return 0;
    }
    int rc = room(s, want);
    if (rc) return rc;
    if (s->gz) return inflate_some(s);
    size_t got;
    rc = raw_read(s, s->buf + s->len, s->cap - s->len, &got);
    if (rc) return rc;
    s->len += got;
    if (got == 0) s->eof = 1;
    return 0;
}

/* Give a buffered source its buffer, then decide between plain and gzip
 * from the first two bytes. */
static int start(nps_stream *s)
{
    s->cap = CHUNK;
    s->buf = malloc(s->cap);
    if (!s->buf) return fail(s, nps_err(NPS_ENOMEM, "out of memory"));
    s->view = s->buf;
    while (s->len < 2 && !s->raw_eof) {
        size_t got;
        int rc = raw_read(s, s->buf + s->len, s->cap - s->len, &got);
        if (rc) return rc;
        s->len += got;
    }
    if (s->len >= 2 && s->buf[0] == 0x1f && s->buf[1] == 0x8b) {
        s->in = malloc(CHUNK);
        if (!s->in) return fail(s, nps_err(NPS_ENOMEM, "out of memory"));
        memcpy(s->in, s->buf, s->len);
        memset(&s->z, 0, sizeof s->z);
        if (inflateInit2(&s->z, 15 + 16) != Z_OK)
            return fail(s, nps_err(NPS_ENOMEM, "out of memory (zlib)"));
        s->z_ready = 1;
        s->gz = 1;
        s->z.next_in = s->in;
        s->z.avail_in = (uInt)s->len;
        s->len = 0;
    } else if (s->len == 0 && s->raw_eof) {
        s->eof = 1;
    }
    return 0;
}

/* A new stream named `name`, or NULL (the error set). */
static nps_stream *create(const char *name)
{
    nps_stream *s = calloc(1, sizeof *s);
    if (s) s->name = nps_strdup(name);
    if (!s || !s->name) {
        free(s);
        nps_err(NPS_ENOMEM, "out of memory");
        return NULL;
    }
    s->fd = -1;
    return s;
}

int nps_stream_open_path(nps_stream **out, const char *path)
{
    *out = NULL;
    int is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nps_err(NPS_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (!is_stdin) close(fd);
        return nps_err(NPS_EIO, "%s: is a directory", path);
    }
    nps_stream *s = create(is_stdin ? "stdin" : path);
    if (!s) {
        if (!is_stdin) close(fd);
        return NPS_ENOMEM;
    }
    s->fd = fd;
    s->own_fd = !is_stdin;
    int rc = start(s);
    if (rc) {
        nps_stream_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int nps_stream_open_memory(nps_stream **out, const void *data, size_t len, const char *name)
{
    *out = NULL;
    if (!data && len) return nps_err(NPS_EINVAL, "memory stream: NULL data");
    nps_stream *s = create(name && *name ? name : "buffer");
    if (!s) return NPS_ENOMEM;
    s->mem = data;
    s->mem_len = len;
    const unsigned char *b = data;
    if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
        int rc = start(s);
        if (rc) {
            nps_stream_close(s);
            return rc;
        }
    } else {
        s->view = b;
        s->len = len;
        s->raw_eof = 1;
        s->eof = 1;
    }
    *out = s;
    return 0;
}

void nps_stream_close(nps_stream *s)
{
    if (!s) return;
    if (s->own_fd) close(s->fd);
    if (s->z_ready) inflateEnd(&s->z);
    free(s->in);
    free(s->buf);
    free(s->name);
    free(s);
}

int nps_stream_peek(const unsigned char **data, size_t *got, nps_stream *s, size_t want)
{
    while (s->len - s->pos < want && !s->eof) {
        int rc = fill(s, want);
        if (rc) return rc;
    }
    if (s->err) return s->err;
    *data = s->view + s->pos;
    *got = s->len - s->pos < want ? s->len - s->pos : want;
    return 0;
}

int nps_stream_window(const unsigned char **data, size_t *got, nps_stream *s)
{
    while (s->pos == s->len && !s->eof) {
        int rc = fill(s, 1);
        if (rc) return rc;
    }
    if (s->err) return s->err;
    *data = s->view + s->pos;
    *got = s->len - s->pos;
    return 0;
}

void nps_stream_consume(nps_stream *s, size_t n)
{
    s->pos += n <= s->len - s->pos ? n : s->len - s->pos;
}

int nps_stream_read(void *dst, size_t *got, nps_stream *s, size_t cap)
{
    const unsigned char *d;
    size_t n;
    *got = 0;
    int rc = nps_stream_window(&d, &n, s);
    if (rc) return rc;
    if (n > cap) n = cap;
    memcpy(dst, d, n);
    nps_stream_consume(s, n);
    *got = n;
    return 0;
}
