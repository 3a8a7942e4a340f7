// SPDX-License-Identifier: GPL-2.0
#include "result.h"

#include <stdlib.h>
#include <string.h>

uint64_t mmt_job_ops_total(const struct mmt_job_result *j)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < j->nops; i++)
		n += j->ops[i].h.count;
	return n;
}

/* Everything is left zeroed, so freeing twice or freeing a zeroed struct is harmless. */
void mmt_job_result_free(struct mmt_job_result *j)
{
	int i;

	if (!j)
		return;
	free(j->params_json);
	free(j->workers);
	for (i = 0; j->ops && i < j->nops; i++)
		free(j->ops[i].intervals);
	free(j->ops);
	free(j->failures);
	for (i = 0; j->kmsg && i < j->nkmsg; i++)
		free(j->kmsg[i].text);
	free(j->kmsg);
	free(j->vmstat);
	free(j->metrics);
	for (i = 0; j->notes && i < j->nnotes; i++)
		free(j->notes[i]);
	free(j->notes);
	memset(j, 0, sizeof(*j));
}

void mmt_job_results_free(struct mmt_job_result *jobs, int njobs)
{
	int i;

	for (i = 0; jobs && i < njobs; i++)
		mmt_job_result_free(&jobs[i]);
	free(jobs);
}

void mmt_run_info_free(struct mmt_run_info *ri)
{
	if (!ri)
		return;
	free(ri->profile_text);
	free(ri->argv);
	free(ri->thp_json);
	free(ri->cmdline);
	memset(ri, 0, sizeof(*ri));
}
