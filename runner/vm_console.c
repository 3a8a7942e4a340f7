// SPDX-License-Identifier: GPL-2.0
#include "vm_console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmsg.h"

void mmt_vm_console_init(struct mmt_vm_console *c)
{
	memset(c, 0, sizeof(*c));
	c->exit_code = -1;
}

/* Drop "[   12.345678] " wherever it is: a prompt may come before it. */
static void drop_timestamp(char *l)
{
	char *b = strchr(l, '['), *e;
	size_t k;

	if (!b)
		return;
	k = strspn(b + 1, " 0123456789.");
	if (!k || b[1 + k] != ']')
		return;
	e = b + 2 + k;
	if (*e == ' ')
		e++;
	memmove(b, e, strlen(e) + 1);
}

/* ESC [ ... final byte, ESC ( x and other escapes; \r and other control bytes. */
char *mmt_vm_console_clean(char *line)
{
	char *r = line, *w = line;

	while (*r) {
		if (*r == '\033') {
			r++;
			if (*r == '[') {
				r++;
				while (*r && !(*r >= '@' && *r <= '~'))
					r++;
			} else if ((*r == '(' || *r == ')') && r[1]) {
				r++;
			}
			if (*r)
				r++;
			continue;
		}
		/* A carriage return mid-line: what follows overwrote what came before. */
		if (*r == '\r') {
			while (*r == '\r')
				r++;
			if (*r && *r != '\n')
				w = line;
			continue;
		}
		if ((unsigned char)*r < ' ' && *r != '\t') {
			r++;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
	drop_timestamp(line);
	return line;
}

static void remember(struct mmt_vm_console *c, const char *line)
{
	if (c->ntail == MMT_VM_TAIL) {
		memmove(c->tail[0], c->tail[1], sizeof(c->tail[0]) * (MMT_VM_TAIL - 1));
		c->ntail--;
	}
	snprintf(c->tail[c->ntail++], sizeof(c->tail[0]), "%s", line);
}

/* "mmtorture: job N start run UUID8: WORKLOAD" and "... end ..." */
static int marker(struct mmt_vm_console *c, const char *line, uint64_t now)
{
	const char *m = strstr(line, "mmtorture: job ");
	char what[8], wl[64] = "";
	int seq, i;

	if (!m || sscanf(m, "mmtorture: job %d %7s run %*8[0-9a-f]: %63s", &seq, what, wl) < 2)
		return 0;
	if (!strcmp(what, "start") && c->njobs < MMT_VM_MAX_JOBS) {
		c->jobs[c->njobs].seq = seq;
		snprintf(c->jobs[c->njobs].workload, sizeof(c->jobs[0].workload), "%s", wl);
		c->jobs[c->njobs].start_ns = now;
		c->cur = ++c->njobs;
		return 1;
	}
	if (!strcmp(what, "end")) {
		for (i = 0; i < c->njobs; i++)
			if (c->jobs[i].seq == seq)
				c->jobs[i].ended = 1;
		c->cur = 0;
		return 1;
	}
	return 0;
}

static void guest_line(struct mmt_vm_console *c, const char *line, uint64_t now)
{
	const char *g = strstr(line, "@@MMT-GUEST ");
	int code;

	if (!g)
		return;
	if (!strncmp(g + 12, "boot", 4) && !c->booted) {
		c->booted = 1;
		c->boot_ns = now;
	} else if (sscanf(g + 12, "exit %d", &code) == 1) {
		c->exit_code = code;
	}
}

static void line(struct mmt_vm_console *c, char *raw, uint64_t now)
{
	struct mmt_vm_splat *s;
	const char *rule;
	char *l = mmt_vm_console_clean(raw);

	if (!*l)
		return;
	remember(c, l);
	if (c->on_line)
		c->on_line(c->arg, l, now);
	guest_line(c, l, now);
	if (marker(c, l, now))
		return;
	rule = mmt_kmsg_splat(l);
	if (!rule)
		return;
	if (c->nsplat == MMT_VM_MAX_SPLATS) {
		c->splats_dropped++;
		return;
	}
	s = &c->splat[c->nsplat++];
	s->job = c->cur ? c->jobs[c->cur - 1].seq : 0;
	snprintf(s->rule, sizeof(s->rule), "%s", rule);
	snprintf(s->text, sizeof(s->text), "%s", l);
}

void mmt_vm_console_feed(struct mmt_vm_console *c, const char *buf, size_t n, uint64_t now_ns)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			c->part[c->plen] = '\0';
			line(c, c->part, now_ns);
			c->plen = 0;
		} else if (c->plen < sizeof(c->part) - 1) {
			c->part[c->plen++] = buf[i];
		}
	}
}

void mmt_vm_console_flush(struct mmt_vm_console *c, uint64_t now_ns)
{
	if (!c->plen)
		return;
	c->part[c->plen] = '\0';
	line(c, c->part, now_ns);
	c->plen = 0;
}

void mmt_vm_console_tail(const struct mmt_vm_console *c, int n, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	if (len)
		buf[0] = '\0';
	for (i = c->ntail > n ? c->ntail - n : 0; i < c->ntail && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? " | " : "", c->tail[i]);
}
