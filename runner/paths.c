// SPDX-License-Identifier: GPL-2.0
/* Where things are: the results database and the shipped profiles. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "main.h"

const char *mmt_default_db(void)
{
	const char *db = getenv("MMTORTURE_DB");

	return db && *db ? db : "results/mmtorture.db";
}

int mmt_find_profile(const char *name, char *path, size_t len)
{
	const char *const dirs[] = {"profiles", MMT_DATADIR "/profiles",
				    MMT_SOURCE_DIR "/profiles"};
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, len, "%s/%s.ini", dirs[i], name);
		if (!access(path, R_OK))
			return 0;
	}
	return -ENOENT;
}
