/*
 * What the test transports (bench_e2e.c, fuzz_flow.c) give the observer
 * as the chat of its struct observer_io: nothing is sent, so alerts to
 * the admins go nowhere.  Included after "observer.h".
 */
#ifndef TELETRACK_TESTIO_H
#define TELETRACK_TESTIO_H

static void
testio_chat(void *arg, const char *jid, const char *body, const char *json)
{
	(void)arg;
	(void)jid;
	(void)body;
	(void)json;
}

#endif
