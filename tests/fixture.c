#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fixture.h"

xmpp_stanza_t *
fixture_load(xmpp_ctx_t *ctx, const char *name)
{
	char		 path[256], *buf;
	FILE		*fp;
	long		 n;
	xmpp_stanza_t	*st;

	snprintf(path, sizeof(path), "tests/fixtures/%s", name);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	st = xmpp_stanza_new_from_string(ctx, buf);
	free(buf);
	return st;
}
