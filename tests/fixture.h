/*
 * Stanza fixtures for the unit tests: tests/fixtures/<name>, one stanza
 * per file as Prosody delivered it.  Run the tests from the repository
 * root.
 */
#ifndef TELETRACK_TEST_FIXTURE_H
#define TELETRACK_TEST_FIXTURE_H

#include <strophe.h>

/* The stanza, or NULL when the file is not well-formed XML. */
xmpp_stanza_t	*fixture_load(xmpp_ctx_t *, const char *name);

#endif
