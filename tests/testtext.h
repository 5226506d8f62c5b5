/*
 * Substring checks for the tests that read text back (test_config.c's
 * error messages, test_web.c's pages and metrics):
 *	assert_has(text, "a", "b");		every string is in text
 *	assert_lacks(text, "<script", "<img");	none of them is
 * A failure names the string and shows the start of the text.
 * Included after <cmocka.h>.
 */
#ifndef TELETRACK_TESTTEXT_H
#define TELETRACK_TESTTEXT_H

#include <stdarg.h>
#include <string.h>

#define assert_has(text, ...)	\
	text_check((text), 1, __VA_ARGS__, (const char *)NULL)
#define assert_lacks(text, ...)	\
	text_check((text), 0, __VA_ARGS__, (const char *)NULL)

/* Each string up to NULL is in text (want 1) or is not (want 0). */
static void __attribute__((sentinel))
text_check(const char *text, int want, ...)
{
	const char	*s;
	va_list		 ap;

	assert_non_null(text);
	va_start(ap, want);
	while ((s = va_arg(ap, const char *)) != NULL)
		if ((strstr(text, s) != NULL) != want)
			fail_msg("\"%s\" %s in:\n%.2000s", s,
			    want ? "not" : "unexpected", text);
	va_end(ap);
}

#endif
