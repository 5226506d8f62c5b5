/*
 * libFuzzer harness for the stanza parsers: arbitrary bytes are parsed as
 * XML by libstrophe (expat), and whatever stanza comes out goes through
 * presence_parse() and message_parse() and is cleared again.  Any crash,
 * leak or undefined behaviour is a bug in the parsers.
 *
 *   make fuzz              (clang; runs 60 s on the fixtures as seeds)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <strophe.h>

#include "message.h"
#include "presence.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static xmpp_ctx_t	*ctx;
	xmpp_stanza_t		*st;
	struct presence		 p;
	struct message		 m;
	char			*text;

	if (ctx == NULL) {
		xmpp_initialize();
		ctx = xmpp_ctx_new(NULL, NULL);
	}
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	st = xmpp_stanza_new_from_string(ctx, text);
	free(text);
	if (st == NULL)
		return 0;
	if (presence_parse(st, "user/role", &p, NULL) == 0)
		presence_clear(&p);
	if (presence_parse(st, NULL, &p, NULL) == 0)
		presence_clear(&p);
	if (message_parse(st, NULL, &m, NULL) == 0)
		message_clear(&m);
	xmpp_stanza_release(st);
	return 0;
}
