// SPDX-License-Identifier: GPL-2.0
/*
 * The result stream's frames (see wire.h): writing records out, finding and
 * reassembling them in whatever text came back, and storing the run.
 */
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "fnv.h"
#include "mmt.h"

#define MAGIC_LEN (sizeof(MMT_WIRE_MAGIC) - 1)
#define MAX_PARTS (1u << 20) /* 900 MiB in one record: more is damage, not data */

/* ---- frames out ---------------------------------------------------------- */

static size_t count_at(const char *s, size_t n)
{
	size_t k = 0;

	while (n--)
		k += *s++ == '@';
	return k;
}

/* '@' only occurs inside JSON strings, where \u0040 means the same. */
static char *escape_at(const char *json, size_t len, size_t *outlen)
{
	size_t n = count_at(json, len), i, o = 0;
	char *out = malloc(len + 5 * n + 1);

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		if (json[i] == '@') {
			memcpy(out + o, "\\u0040", 6);
			o += 6;
		} else {
			out[o++] = json[i];
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

int mmt_wire_frame(int kind, uint32_t recno, const char *json, size_t jlen, char **buf, size_t *len)
{
	size_t elen, nparts, part, off, cap, clen;
	char head[64], *esc, *p;
	uint64_t h;
	int hl;

	if (kind < 0 || kind >= MMT_WIRE__NKINDS || !jlen)
		return -EINVAL;
	esc = escape_at(json, jlen, &elen);
	if (!esc)
		return -ENOMEM;
	nparts = (elen + MMT_WIRE_CHUNK - 1) / MMT_WIRE_CHUNK;
	if (nparts > MAX_PARTS) {
		free(esc);
		return -E2BIG;
	}
	/* "\n@@MMT1 " head hash ' ' chunk '\n' for each part. */
	cap = *len + elen + nparts * (1 + MAGIC_LEN + sizeof(head) + 16 + 2) + 1;
	p = realloc(*buf, cap);
	if (!p) {
		free(esc);
		return -ENOMEM;
	}
	*buf = p;
	off = *len;
	for (part = 1; part <= nparts; part++) {
		const char *chunk = esc + (part - 1) * MMT_WIRE_CHUNK;

		clen = part < nparts ? MMT_WIRE_CHUNK : elen - (part - 1) * MMT_WIRE_CHUNK;
		hl = snprintf(head, sizeof(head), "%s %" PRIu32 " %zu/%zu ",
			      mmt_wire_kind_name(kind), recno, part, nparts);
		h = mmt_fnv1a64(mmt_fnv1a64(MMT_FNV64_OFFSET, head, (size_t)hl), chunk, clen);
		off += (size_t)snprintf(p + off, cap - off, "\n%s%s%016" PRIx64 " ", MMT_WIRE_MAGIC,
					head, h);
		memcpy(p + off, chunk, clen);
		off += clen;
		p[off++] = '\n';
	}
	p[off] = '\0';
	*len = off;
	free(esc);
	return 0;
}

int mmt_wire_open(const char *path)
{
	struct termios t;
	struct stat sb;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb)) {
		int e = -errno;

		close(fd);
		return e;
	}
	if (!S_ISREG(sb.st_mode) && !S_ISCHR(sb.st_mode) && !S_ISFIFO(sb.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	/* A serial port without CLOCAL waits for a carrier the other side may never raise. */
	if (isatty(fd) && !tcgetattr(fd, &t) && !(t.c_cflag & CLOCAL)) {
		t.c_cflag |= CLOCAL;
		(void)tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	ssize_t w;
	int r;

	while (n) {
		w = write(fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			r = poll(&pfd, 1, MMT_WIRE_STALL_MS);
			if (r == 0)
				return -ETIMEDOUT;
			if (r < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		return w < 0 ? -errno : -EIO;
	}
	return 0;
}

/* Each frame in one write(): a reader or another writer never splits a line. */
static int write_record(int fd, int kind, uint32_t recno, char *json)
{
	char *buf = NULL, *p, *end, *nl;
	struct stat sb;
	size_t len = 0;
	int rc;

	if (!json)
		return -ENOMEM;
	rc = mmt_wire_frame(kind, recno, json, strlen(json), &buf, &len);
	free(json);
	for (p = buf, end = buf + len; !rc && p < end; p = nl + 1) {
		nl = memchr(p + 1, '\n', (size_t)(end - p - 1));
		if (!nl)
			nl = end - 1;
		rc = write_all(fd, p, (size_t)(nl + 1 - p));
	}
	free(buf);
	if (rc)
		return rc;
	if (!fstat(fd, &sb) && S_ISREG(sb.st_mode) && fdatasync(fd))
		return -errno;
	if (isatty(fd))
		(void)tcdrain(fd);
	return 0;
}

int mmt_wire_write_run(int fd, const struct mmt_run_info *ri)
{
	char *json = NULL;
	int rc = mmt_wire_encode_run(ri, &json);

	return rc ? rc : write_record(fd, MMT_WIRE_RUN, 0, json);
}

int mmt_wire_write_job(int fd, const struct mmt_job_result *j)
{
	char *json = NULL;
	int rc;

	if (j->seq < 1)
		return -EINVAL;
	rc = mmt_wire_encode_job(j, &json);
	return rc ? rc : write_record(fd, MMT_WIRE_JOB, (uint32_t)j->seq, json);
}

int mmt_wire_write_end(int fd, const char *status, int exit_code, uint64_t finished_ns, int njobs)
{
	char *json = NULL;
	int rc = mmt_wire_encode_end(status, exit_code, finished_ns, njobs, &json);

	return rc ? rc : write_record(fd, MMT_WIRE_END, 0, json);
}

/* ---- frames in ----------------------------------------------------------- */

struct frame {
	const char *chunk; /* into the caller's buffer */
	size_t len;
	uint64_t hash;
	uint32_t recno, part, nparts;
	int kind;
	int seg; /* which run of the stream */
};

/* (seg, kind, recno, part) -> frame; part 0 holds a record's first frame (its nparts). */
struct slot {
	int used;
	uint32_t seg, kind, recno, part, frame;
};

struct parser {
	struct frame *f;
	size_t nf, capf;
	struct slot *tab;
	size_t ntab, captab; /* captab a power of two */
	/* Per run of the stream: counters, and whether a non-RUN frame was seen. */
	struct mmt_wire *w;
	int nseg, capseg;
	int other_seen;
};

static uint64_t slot_hash(uint32_t seg, uint32_t kind, uint32_t recno, uint32_t part)
{
	uint64_t k = ((uint64_t)seg << 34) ^ ((uint64_t)kind << 32) ^ recno;

	k = (k ^ ((uint64_t)part * 0x9e3779b97f4a7c15ull)) * 0xbf58476d1ce4e5b9ull;
	return k ^ (k >> 31);
}

static struct slot *tab_find(struct parser *p, uint32_t seg, uint32_t kind, uint32_t recno,
			     uint32_t part)
{
	size_t i = slot_hash(seg, kind, recno, part) & (p->captab - 1);
	struct slot *s;

	for (;; i = (i + 1) & (p->captab - 1)) {
		s = &p->tab[i];
		if (!s->used ||
		    (s->seg == seg && s->kind == kind && s->recno == recno && s->part == part))
			return s;
	}
}

static int tab_grow(struct parser *p)
{
	struct slot *old = p->tab, *s;
	size_t oldcap = p->captab, i;

	if (p->captab && (p->ntab + 1) * 2 <= p->captab)
		return 0;
	p->captab = oldcap ? oldcap * 2 : 256;
	p->tab = calloc(p->captab, sizeof(*p->tab));
	if (!p->tab) {
		p->tab = old;
		p->captab = oldcap;
		return -ENOMEM;
	}
	for (i = 0; i < oldcap; i++) {
		if (!old[i].used)
			continue;
		s = tab_find(p, old[i].seg, old[i].kind, old[i].recno, old[i].part);
		*s = old[i];
	}
	free(old);
	return 0;
}

static int tab_put(struct parser *p, const struct frame *f, uint32_t part, uint32_t idx)
{
	struct slot *s;
	int rc = tab_grow(p);

	if (rc)
		return rc;
	s = tab_find(p, (uint32_t)f->seg, (uint32_t)f->kind, f->recno, part);
	if (!s->used)
		p->ntab++;
	*s = (struct slot){1, (uint32_t)f->seg, (uint32_t)f->kind, f->recno, part, idx};
	return 0;
}

static struct slot *tab_get(struct parser *p, int seg, const struct frame *f, uint32_t part)
{
	struct slot *s;

	if (!p->captab)
		return NULL;
	s = tab_find(p, (uint32_t)seg, (uint32_t)f->kind, f->recno, part);
	return s->used ? s : NULL;
}

static int new_seg(struct parser *p)
{
	struct mmt_wire *w;

	if (p->nseg == p->capseg) {
		int cap = p->capseg ? p->capseg * 2 : 2;

		w = realloc(p->w, (size_t)cap * sizeof(*w));
		if (!w)
			return -ENOMEM;
		p->w = w;
		p->capseg = cap;
	}
	memset(&p->w[p->nseg++], 0, sizeof(*p->w));
	p->other_seen = 0;
	return 0;
}

/* A decimal number up to max, then sep; advances *s. */
static int take_num(const char **s, const char *end, char sep, uint32_t max, uint32_t *out)
{
	const char *q = *s;
	uint64_t v = 0;

	while (q < end && *q >= '0' && *q <= '9' && q - *s < 10)
		v = v * 10 + (uint64_t)(*q++ - '0');
	if (q == *s || q >= end || *q != sep || v > max)
		return -1;
	*out = (uint32_t)v;
	*s = q + 1;
	return 0;
}

/* "<KIND> <recno> <part>/<nparts> <hash> <chunk>" (after the magic); 0 if it verifies. */
static int frame_parse(const char *s, size_t n, struct frame *f)
{
	const char *q = s, *end = s + n, *hash_at;
	uint64_t h = 0;
	int k, i, x;

	memset(f, 0, sizeof(*f));
	if (n < 4 || s[3] != ' ')
		return -1;
	for (k = 0; k < MMT_WIRE__NKINDS; k++)
		if (!memcmp(s, mmt_wire_kind_name(k), 3))
			break;
	if (k == MMT_WIRE__NKINDS)
		return -1;
	f->kind = k;
	q += 4;
	if (take_num(&q, end, ' ', UINT32_MAX, &f->recno) ||
	    take_num(&q, end, '/', MAX_PARTS, &f->part) ||
	    take_num(&q, end, ' ', MAX_PARTS, &f->nparts))
		return -1;
	if (!f->part || f->part > f->nparts || (k != MMT_WIRE_JOB && f->recno))
		return -1;
	hash_at = q;
	if (end - q < 18 || q[16] != ' ')
		return -1;
	for (i = 0; i < 16; i++) {
		x = mmt_hexval(q[i]);
		if (x < 0)
			return -1;
		h = h << 4 | (uint64_t)x;
	}
	f->chunk = q + 17;
	f->len = (size_t)(end - f->chunk);
	f->hash = h;
	if (!f->len)
		return -1;
	return mmt_fnv1a64(mmt_fnv1a64(MMT_FNV64_OFFSET, s, (size_t)(hash_at - s)), f->chunk,
			   f->len) == h
		       ? 0
		       : -1;
}

/*
 * A verified frame: an exact repeat is counted and ignored. A frame that
 * cannot belong to the run being read (a different chunk where one is held
 * already, a different part count, a RUN frame after the run's jobs began)
 * starts the next run of the stream.
 */
static int add_frame(struct parser *p, struct frame *f)
{
	struct slot *s;
	struct frame *nf;
	int rc, next = 0;

	if (!p->nseg && (rc = new_seg(p)))
		return rc;
	s = tab_get(p, p->nseg - 1, f, f->part);
	if (s && p->f[s->frame].hash == f->hash && p->f[s->frame].len == f->len &&
	    !memcmp(p->f[s->frame].chunk, f->chunk, f->len)) {
		p->w[p->nseg - 1].good_frames++;
		p->w[p->nseg - 1].dup_frames++;
		return 0;
	}
	if (s || (f->kind == MMT_WIRE_RUN && p->other_seen))
		next = 1;
	s = tab_get(p, p->nseg - 1, f, 0);
	if (s && p->f[s->frame].nparts != f->nparts)
		next = 1;
	if (next && (rc = new_seg(p)))
		return rc;
	f->seg = p->nseg - 1;
	p->w[f->seg].good_frames++;
	p->other_seen |= f->kind != MMT_WIRE_RUN;
	if (p->nf == p->capf) {
		size_t cap = p->capf ? p->capf * 2 : 64;

		nf = realloc(p->f, cap * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		p->f = nf;
		p->capf = cap;
	}
	if (p->nf >= UINT32_MAX)
		return -E2BIG;
	p->f[p->nf] = *f;
	rc = tab_put(p, f, f->part, (uint32_t)p->nf);
	if (!rc && !tab_get(p, f->seg, f, 0))
		rc = tab_put(p, f, 0, (uint32_t)p->nf);
	if (!rc)
		p->nf++;
	return rc;
}

static int bad_frame(struct parser *p)
{
	int rc = p->nseg ? 0 : new_seg(p);

	if (!rc)
		p->w[p->nseg - 1].bad_frames++;
	return rc;
}

/* Every "@@MMT1 " in every line; a frame ends at the line's end or the next magic. */
static int scan(struct parser *p, const char *buf, size_t len)
{
	const char *line = buf, *end = buf + len, *nl, *le, *m, *next;
	struct frame f;
	int rc = 0;

	while (!rc && line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		le = nl ? nl : end;
		while (le > line && le[-1] == '\r')
			le--;
		m = memmem(line, (size_t)(le - line), MMT_WIRE_MAGIC, MAGIC_LEN);
		while (!rc && m) {
			next = memmem(m + MAGIC_LEN, (size_t)(le - m - MAGIC_LEN), MMT_WIRE_MAGIC,
				      MAGIC_LEN);
			if (frame_parse(m + MAGIC_LEN, (size_t)((next ? next : le) - m - MAGIC_LEN),
					&f))
				rc = bad_frame(p);
			else
				rc = add_frame(p, &f);
			m = next;
		}
		line = nl ? nl + 1 : end;
	}
	return rc;
}

static int frame_cmp(const void *a, const void *b)
{
	const struct frame *x = a, *y = b;

	if (x->seg != y->seg)
		return x->seg < y->seg ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->recno != y->recno)
		return x->recno < y->recno ? -1 : 1;
	return x->part < y->part ? -1 : x->part > y->part;
}

static int drop(struct mmt_wire *w, int kind, uint32_t recno, uint32_t count, const char *fmt, ...)
	mmt_printf(5, 6);

static int drop(struct mmt_wire *w, int kind, uint32_t recno, uint32_t count, const char *fmt, ...)
{
	struct mmt_wire_drop *d = realloc(w->dropped, (size_t)(w->ndropped + 1) * sizeof(*d));
	va_list ap;

	if (!d)
		return -ENOMEM;
	w->dropped = d;
	d += w->ndropped++;
	d->kind = kind;
	d->recno = recno;
	d->count = count;
	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	w->dropped_records += count;
	return 0;
}

static int push_job(struct mmt_wire *w, struct mmt_job_result *j)
{
	struct mmt_job_result *a = realloc(w->jobs, (size_t)(w->njobs + 1) * sizeof(*a));

	if (!a)
		return -ENOMEM;
	w->jobs = a;
	a[w->njobs++] = *j;
	memset(j, 0, sizeof(*j));
	return 0;
}

/* A whole record's text: decode it into its run. */
static int take_record(struct mmt_wire *w, int kind, uint32_t recno, const char *text, size_t len)
{
	struct mmt_job_result j;
	char err[256];
	int rc;

	switch (kind) {
	case MMT_WIRE_RUN:
		rc = mmt_wire_decode_run(text, len, &w->ri, err, sizeof(err));
		w->have_run = !rc;
		break;
	case MMT_WIRE_JOB:
		rc = mmt_wire_decode_job(text, len, &j, err, sizeof(err));
		if (!rc && j.seq != (int)recno) {
			snprintf(err, sizeof(err), "it holds job %d", j.seq);
			mmt_job_result_free(&j);
			rc = -EINVAL;
		}
		if (!rc)
			return push_job(w, &j);
		break;
	default:
		rc = mmt_wire_decode_end(text, len, &w->end, err, sizeof(err));
		w->have_end = !rc;
		break;
	}
	if (rc == -EINVAL)
		return drop(w, kind, recno, 1, "all parts arrived, but %s", err);
	return rc;
}

/* Frames [i, n) of one record, sorted by part. */
static int assemble(struct parser *p, size_t i, size_t n)
{
	const struct frame *f = &p->f[i];
	struct mmt_wire *w = &p->w[f->seg];
	size_t k, len = 0;
	uint32_t want = 1;
	char *text;
	int rc;

	if (n - i != f->nparts) {
		for (k = i; k < n && p->f[k].part == want; k++)
			want++;
		return drop(w, f->kind, f->recno, 1,
			    "%zu of %" PRIu32 " parts arrived (part %" PRIu32 " missing)", n - i,
			    f->nparts, want);
	}
	for (k = i; k < n; k++)
		len += p->f[k].len;
	text = malloc(len + 1);
	if (!text)
		return -ENOMEM;
	for (len = 0, k = i; k < n; k++) {
		memcpy(text + len, p->f[k].chunk, p->f[k].len);
		len += p->f[k].len;
	}
	text[len] = '\0';
	rc = take_record(w, f->kind, f->recno, text, len);
	free(text);
	return rc;
}

/* JOB numbers that never showed up at all, below the last one seen (or END's count). */
static int missing_jobs(struct mmt_wire *w, const uint32_t *seen, size_t nseen)
{
	uint64_t last = nseen ? seen[nseen - 1] : 0, next = 1;
	size_t k;
	int rc = 0;

	if (w->have_end && w->end.njobs > 0 && (uint64_t)w->end.njobs > last)
		last = (uint64_t)w->end.njobs;
	for (k = 0; !rc && next <= last; k++) {
		uint64_t upto = k < nseen ? seen[k] : last + 1;

		if (upto > next)
			rc = upto - next == 1
				     ? drop(w, MMT_WIRE_JOB, (uint32_t)next, 1, "no frame arrived")
				     : drop(w, MMT_WIRE_JOB, (uint32_t)next,
					    (uint32_t)(upto - next),
					    "JOBs %" PRIu64 "..%" PRIu64 ": no frame arrived", next,
					    upto - 1);
		next = upto + 1;
	}
	return rc;
}

static int finish_seg(struct parser *p, int seg, size_t i, size_t n)
{
	struct mmt_wire *w = &p->w[seg];
	uint32_t *seen = NULL;
	size_t nseen = 0, k;
	int rc;

	/* Frames [i, n) are this run's, sorted: JOB numbers ascend among them. */
	seen = malloc((n - i + 1) * sizeof(*seen));
	if (!seen)
		return -ENOMEM;
	for (k = i; k < n; k++)
		if (p->f[k].kind == MMT_WIRE_JOB && (!nseen || seen[nseen - 1] != p->f[k].recno))
			seen[nseen++] = p->f[k].recno;
	rc = missing_jobs(w, seen, nseen);
	free(seen);
	return rc;
}

static int same_record(const struct frame *a, const struct frame *b)
{
	return a->seg == b->seg && a->kind == b->kind && a->recno == b->recno;
}

static int assemble_all(struct parser *p)
{
	size_t i = 0, k, segstart = 0;
	int rc = 0;

	if (p->nf)
		qsort(p->f, p->nf, sizeof(*p->f), frame_cmp);
	while (!rc && i < p->nf) {
		for (k = i + 1; k < p->nf && same_record(&p->f[i], &p->f[k]); k++)
			;
		rc = assemble(p, i, k);
		i = k;
		if (!rc && (i == p->nf || p->f[i].seg != p->f[segstart].seg)) {
			rc = finish_seg(p, p->f[segstart].seg, segstart, i);
			segstart = i;
		}
	}
	return rc;
}

void mmt_wire_free(struct mmt_wire *w)
{
	if (!w)
		return;
	mmt_run_info_free(&w->ri);
	mmt_job_results_free(w->jobs, w->njobs);
	free(w->dropped);
	memset(w, 0, sizeof(*w));
}

void mmt_wire_free_all(struct mmt_wire *runs, int nruns)
{
	int i;

	for (i = 0; runs && i < nruns; i++)
		mmt_wire_free(&runs[i]);
	free(runs);
}

int mmt_wire_parse_all(const char *buf, size_t len, struct mmt_wire **runs, int *nruns, char *err,
		       size_t errlen)
{
	struct parser p = {0};
	int rc;

	*runs = NULL;
	*nruns = 0;
	if (errlen)
		err[0] = '\0';
	rc = scan(&p, buf, len);
	if (!rc)
		rc = assemble_all(&p);
	free(p.f);
	free(p.tab);
	if (rc) {
		mmt_wire_free_all(p.w, p.nseg);
		snprintf(err, errlen, "reading the stream: %s", strerror(-rc));
		return rc;
	}
	*runs = p.w;
	*nruns = p.nseg;
	return 0;
}

int mmt_wire_parse(const char *buf, size_t len, struct mmt_wire *out, char *err, size_t errlen)
{
	struct mmt_wire *runs;
	int n, rc;

	memset(out, 0, sizeof(*out));
	rc = mmt_wire_parse_all(buf, len, &runs, &n, err, errlen);
	if (rc)
		return rc;
	if (n > 1) {
		snprintf(err, errlen, "the stream holds %d runs, not one", n);
		mmt_wire_free_all(runs, n);
		return -EINVAL;
	}
	if (n)
		*out = runs[0];
	free(runs);
	return 0;
}

int mmt_wire_add_job(struct mmt_wire *w, struct mmt_job_result *j)
{
	struct mmt_job_result *a;
	int i;

	for (i = 0; i < w->njobs && w->jobs[i].seq < j->seq; i++)
		;
	if (i < w->njobs && w->jobs[i].seq == j->seq) {
		mmt_job_result_free(&w->jobs[i]);
		w->jobs[i] = *j;
		memset(j, 0, sizeof(*j));
		return 0;
	}
	a = realloc(w->jobs, (size_t)(w->njobs + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	w->jobs = a;
	memmove(&a[i + 1], &a[i], (size_t)(w->njobs - i) * sizeof(*a));
	a[i] = *j;
	w->njobs++;
	memset(j, 0, sizeof(*j));
	return 0;
}

/* ---- into the store ------------------------------------------------------ */

int mmt_wire_store(struct mmt_store *s, const struct mmt_wire *w,
		   const struct mmt_wire_import_opts *o, int64_t *run_id, char *err, size_t errlen)
{
	struct mmt_run_info ri;
	int64_t id = 0, old;
	int rc, i;

	if (errlen)
		err[0] = '\0';
	if (!w->have_run) {
		snprintf(err, errlen, "no RUN record: nothing to store");
		return -EINVAL;
	}
	ri = w->ri; /* a shallow copy: the strings stay w's */
	if (o && o->guest)
		ri.guest = 1;
	if (o && o->tag) {
		if (strlen(o->tag) >= sizeof(ri.tag)) {
			snprintf(err, errlen, "tag '%s' is longer than %zu bytes", o->tag,
				 sizeof(ri.tag) - 1);
			return -EINVAL;
		}
		snprintf(ri.tag, sizeof(ri.tag), "%s", o->tag);
	}
	rc = mmt_store_tx_begin(s);
	if (rc) {
		snprintf(err, errlen, "cannot start writing: %s", mmt_store_errmsg(s));
		return rc;
	}
	rc = mmt_store_find_uuid(s, ri.uuid, &old);
	if (!rc) {
		mmt_store_tx_rollback(s);
		*run_id = old;
		snprintf(err, errlen, "run %s already imported as run %" PRId64, ri.uuid, old);
		return -EEXIST;
	}
	if (rc == -ENOENT)
		rc = mmt_store_begin_run(s, &ri, &id);
	for (i = 0; !rc && i < w->njobs; i++)
		rc = mmt_store_add_job(s, id, &w->jobs[i]);
	if (!rc && w->have_end)
		rc = mmt_store_end_run_at(s, id, w->end.status, w->end.exit_code,
					  w->end.finished_ns);
	else if (!rc)
		rc = mmt_store_end_run_at(s, id, "incomplete", -1, 0);
	if (!rc)
		rc = mmt_store_tx_commit(s);
	if (rc) {
		snprintf(err, errlen, "storing run %s: %s (%s)", ri.uuid, strerror(-rc),
			 mmt_store_errmsg(s));
		mmt_store_tx_rollback(s);
		return rc;
	}
	*run_id = id;
	return 0;
}
