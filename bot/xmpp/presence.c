/*
 * Pure parsing of MUC presence (jitsi-xmpp.md §2, §3, §6): a libstrophe
 * stanza in, a struct presence out.  No state, no clock, no I/O.  Every
 * string kept is copied, so the result outlives the stanza; a presence
 * that is not from a MUC occupant, or is malformed, is refused with a
 * reason for the caller's debug log.
 *
 * Media state follows jicofo's own rule over SourceInfo: audio is muted
 * when no audio source is unmuted; the camera is on when a video source
 * without videoType "desktop" is unmuted; sharing when a "desktop" source
 * is unmuted.  Sources are classified by videoType, never by index.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <strophe.h>

#include "presence.h"
#include "xmalloc.h"

#define NS_MUC_USER	"http://jabber.org/protocol/muc#user"
#define NS_NICK		"http://jabber.org/protocol/nick"
#define NS_JIBRI	"http://jitsi.org/protocol/jibri"
#define NS_STANZAS	"urn:ietf:params:xml:ns:xmpp-stanzas"
#define F_JIBRI		"http://jitsi.org/protocol/jibri"
#define F_TRANSCRIBER	"http://jitsi.org/protocol/transcriber"

/* Text of st's child name (any namespace), copied, or NULL. */
static char *
child_text(xmpp_stanza_t *st, const char *name)
{
	xmpp_stanza_t	*c;

	if ((c = xmpp_stanza_get_child_by_name(st, name)) == NULL)
		return NULL;
	return xmpp_stanza_get_text(c);	/* NULL for an empty element */
}

/* libstrophe allocations go through its allocator; ours through free(). */
static char *
own(xmpp_ctx_t *ctx, char *s)
{
	char	*copy;

	if (s == NULL)
		return NULL;
	copy = xstrdup(s);
	xmpp_free(ctx, s);
	return copy;
}

static char *
attr(xmpp_stanza_t *st, const char *name)
{
	return xstrdup_null(xmpp_stanza_get_attribute(st, name));
}

int
presence_has_code(const struct presence *p, int code)
{
	int	 i;

	for (i = 0; i < p->ncodes; i++)
		if (p->codes[i] == code)
			return 1;
	return 0;
}

void
presence_clear(struct presence *p)
{
	free(p->room);
	free(p->nick);
	free(p->jid);
	free(p->role);
	free(p->affiliation);
	free(p->new_nick);
	free(p->actor_nick);
	free(p->reason);
	free(p->destroy_reason);
	free(p->status_text);
	free(p->error_condition);
	free(p->retry);
	free(p->display_name);
	free(p->stats_id);
	free(p->identity_id);
	free(p->identity_name);
	free(p->identity_role);
	free(p->rec_status);
	free(p->rec_mode);
	free(p->rec_session);
	free(p->rec_failure);
	free(p->rec_initiator);
	memset(p, 0, sizeof(*p));
	p->hand_raised = -1;
	p->transcription = -1;
	p->media.audio = p->media.camera = p->media.share = MEDIA_UNKNOWN;
}

/* Is key an audio (-a<digits>[.lang]) or video (-v<digits>) source? */
static int
source_kind(const char *key)
{
	const char	*dash = strrchr(key, '-');
	const char	*s;

	if (dash == NULL || (dash[1] != 'a' && dash[1] != 'v') ||
	    !isdigit((unsigned char)dash[2]))
		return 0;
	for (s = dash + 2; isdigit((unsigned char)*s); s++)
		;
	if (*s != '\0' && !(dash[1] == 'a' && *s == '.'))
		return 0;
	return dash[1];
}

int
presence_parse_sourceinfo(const char *text, struct media_state *m)
{
	json_t		*root, *v, *muted, *vt;
	json_error_t	 err;
	const char	*key;
	struct media_state out;
	int		 kind, on, *slot;

	if (text == NULL)
		return -1;
	if ((root = json_loads(text, JSON_REJECT_DUPLICATES, &err)) == NULL)
		return -1;
	if (!json_is_object(root)) {
		json_decref(root);
		return -1;
	}
	out.audio = out.camera = out.share = MEDIA_UNKNOWN;
	json_object_foreach(root, key, v) {
		if (!json_is_object(v))
			continue;
		muted = json_object_get(v, "muted");
		/* A source that does not say it is unmuted counts as muted. */
		on = json_is_false(muted);
		vt = json_object_get(v, "videoType");
		if (json_is_string(vt) &&
		    strcmp(json_string_value(vt), "desktop") == 0)
			slot = &out.share;
		else if ((kind = source_kind(key)) == 'a')
			slot = &out.audio;
		else if (kind == 'v')
			slot = &out.camera;
		else
			continue;
		/* A kind is on when any of its sources is. */
		if (*slot != 1)
			*slot = on;
	}
	json_decref(root);
	*m = out;
	return 0;
}

/* Legacy (pre-2022) elements: <audiomuted>, <videomuted>, <videoType>. */
static void
legacy_media(xmpp_ctx_t *ctx, xmpp_stanza_t *st, struct media_state *m)
{
	char	*am, *vm, *vt;
	int	 on;

	am = child_text(st, "audiomuted");
	vm = child_text(st, "videomuted");
	vt = child_text(st, "videoType");
	if (xmpp_stanza_get_child_by_name(st, "audiomuted") == NULL &&
	    xmpp_stanza_get_child_by_name(st, "videomuted") == NULL)
		goto done;
	/* Both always come together: every kind is known. */
	m->audio = am != NULL && strcmp(am, "false") == 0;
	on = vm != NULL && strcmp(vm, "false") == 0;
	if (vt != NULL && strcmp(vt, "desktop") == 0) {
		m->share = on;
		m->camera = 0;
	} else {
		m->camera = on;
		m->share = 0;
	}
done:
	if (am != NULL)
		xmpp_free(ctx, am);
	if (vm != NULL)
		xmpp_free(ctx, vm);
	if (vt != NULL)
		xmpp_free(ctx, vt);
}

/* <identity><user><id/><name/></user><group/></identity> */
void
presence_identity(xmpp_stanza_t *st, const char *role_field, char **uid,
    char **name, char **role)
{
	xmpp_ctx_t	*ctx = xmpp_stanza_get_context(st);
	xmpp_stanza_t	*id, *user, *c;
	char		 path[128], *seg, *save = NULL;

	*uid = *name = *role = NULL;
	if ((id = xmpp_stanza_get_child_by_name(st, "identity")) == NULL)
		return;
	if ((user = xmpp_stanza_get_child_by_name(id, "user")) != NULL) {
		*uid = own(ctx, child_text(user, "id"));
		*name = own(ctx, child_text(user, "name"));
	}
	snprintf(path, sizeof(path), "%s", role_field != NULL ? role_field :
	    "group");
	c = id;
	for (seg = strtok_r(path, "/", &save); seg != NULL && c != NULL;
	    seg = strtok_r(NULL, "/", &save))
		c = xmpp_stanza_get_child_by_name(c, seg);
	if (c != NULL && c != id)
		*role = own(ctx, xmpp_stanza_get_text(c));
}

static void
muc_user(xmpp_stanza_t *x, struct presence *p)
{
	xmpp_stanza_t	*c, *item = NULL, *sub;
	const char	*name, *code;
	char		*end;
	long		 n;

	for (c = xmpp_stanza_get_children(x); c != NULL;
	    c = xmpp_stanza_get_next(c)) {
		if ((name = xmpp_stanza_get_name(c)) == NULL)
			continue;
		if (strcmp(name, "item") == 0 && item == NULL)
			item = c;
		else if (strcmp(name, "status") == 0 &&
		    (code = xmpp_stanza_get_attribute(c, "code")) != NULL &&
		    p->ncodes < PRESENCE_MAX_CODES) {
			n = strtol(code, &end, 10);
			if (end != code && *end == '\0' && n > 0 && n < 1000)
				p->codes[p->ncodes++] = (int)n;
		} else if (strcmp(name, "destroy") == 0) {
			p->destroyed = 1;
			if ((sub = xmpp_stanza_get_child_by_name(c, "reason")) !=
			    NULL)
				p->destroy_reason = own(xmpp_stanza_get_context(c),
				    xmpp_stanza_get_text(sub));
		}
	}
	if (item == NULL)
		return;
	p->jid = attr(item, "jid");
	p->role = attr(item, "role");
	p->affiliation = attr(item, "affiliation");
	p->new_nick = attr(item, "nick");
	if ((sub = xmpp_stanza_get_child_by_name(item, "actor")) != NULL)
		p->actor_nick = attr(sub, "nick");
	if ((sub = xmpp_stanza_get_child_by_name(item, "reason")) != NULL)
		p->reason = own(xmpp_stanza_get_context(item),
		    xmpp_stanza_get_text(sub));
}

static void
features(xmpp_stanza_t *st, struct presence *p)
{
	xmpp_stanza_t	*fs, *f;
	const char	*var;

	if ((fs = xmpp_stanza_get_child_by_name(st, "features")) == NULL)
		return;
	for (f = xmpp_stanza_get_children(fs); f != NULL;
	    f = xmpp_stanza_get_next(f)) {
		if ((var = xmpp_stanza_get_attribute(f, "var")) == NULL)
			continue;
		if (strcmp(var, F_JIBRI) == 0)
			p->feature_jibri = 1;
		else if (strcmp(var, F_TRANSCRIBER) == 0)
			p->feature_transcriber = 1;
	}
}

static int
split_from(const char *from, struct presence *p, const char **errstr)
{
	const char	*at, *slash;
	size_t		 i;

	if (from == NULL) {
		*errstr = "no from";
		return -1;
	}
	slash = strchr(from, '/');
	at = strchr(from, '@');
	if (slash == NULL || at == NULL || at > slash || at == from ||
	    slash == at + 1 || slash[1] == '\0') {
		*errstr = "from is not room@domain/nick";
		return -1;
	}
	if (strlen(slash + 1) > PRESENCE_MAX_NICK) {
		*errstr = "nick too long";
		return -1;
	}
	p->room = strndup(from, (size_t)(slash - from));
	if (p->room == NULL)
		abort();
	for (i = 0; p->room[i] != '\0'; i++)
		p->room[i] = (char)tolower((unsigned char)p->room[i]);
	p->nick = xstrdup(slash + 1);
	return 0;
}

int
presence_parse(xmpp_stanza_t *st, const char *role_field, struct presence *p,
    const char **errstr)
{
	xmpp_ctx_t	*ctx;
	xmpp_stanza_t	*c, *err;
	const char	*type, *name, *dummy;
	char		*text;

	if (errstr == NULL)
		errstr = &dummy;
	memset(p, 0, sizeof(*p));
	p->hand_raised = -1;
	p->transcription = -1;
	p->media.audio = p->media.camera = p->media.share = MEDIA_UNKNOWN;
	if (st == NULL || (name = xmpp_stanza_get_name(st)) == NULL ||
	    strcmp(name, "presence") != 0) {
		*errstr = "not a presence";
		return -1;
	}
	ctx = xmpp_stanza_get_context(st);
	type = xmpp_stanza_get_type(st);
	if (type == NULL)
		p->kind = PRESENCE_AVAILABLE;
	else if (strcmp(type, "unavailable") == 0)
		p->kind = PRESENCE_UNAVAILABLE;
	else if (strcmp(type, "error") == 0)
		p->kind = PRESENCE_ERROR;
	else {
		*errstr = "presence type not tracked";
		return -1;
	}
	if (p->kind == PRESENCE_ERROR) {
		/* An error for our join comes from room@domain/nick too. */
		if (split_from(xmpp_stanza_get_from(st), p, errstr) == -1)
			goto fail;
		if ((err = xmpp_stanza_get_child_by_name(st, "error")) != NULL)
			for (c = xmpp_stanza_get_children(err); c != NULL;
			    c = xmpp_stanza_get_next(c))
				if (xmpp_stanza_is_tag(c) &&
				    xmpp_stanza_get_ns(c) != NULL &&
				    strcmp(xmpp_stanza_get_ns(c), NS_STANZAS)
				    == 0) {
					p->error_condition = xstrdup(
					    xmpp_stanza_get_name(c));
					break;
				}
		/* The companion module says whether to try again. */
		if (err != NULL && (c = xmpp_stanza_get_child_by_name_and_ns(
		    err, "retry", "urn:teletrack:1")) != NULL)
			p->retry = xstrdup_null(xmpp_stanza_get_attribute(c,
			    "reason"));
		return 0;
	}
	if (split_from(xmpp_stanza_get_from(st), p, errstr) == -1)
		goto fail;

	if ((c = xmpp_stanza_get_child_by_name_and_ns(st, "x",
	    NS_MUC_USER)) != NULL)
		muc_user(c, p);
	p->status_text = own(ctx, child_text(st, "status"));
	if ((c = xmpp_stanza_get_child_by_name_and_ns(st, "nick", NS_NICK)) !=
	    NULL)
		p->display_name = own(ctx, xmpp_stanza_get_text(c));
	p->stats_id = own(ctx, child_text(st, "stats-id"));
	presence_identity(st, role_field, &p->identity_id, &p->identity_name,
	    &p->identity_role);

	if ((c = xmpp_stanza_get_child_by_name(st, "SourceInfo")) != NULL) {
		text = xmpp_stanza_get_text(c);
		/* Broken JSON leaves the state unknown. */
		(void)presence_parse_sourceinfo(text, &p->media);
		if (text != NULL)
			xmpp_free(ctx, text);
	} else
		legacy_media(ctx, st, &p->media);

	if ((c = xmpp_stanza_get_child_by_name(st,
	    "jitsi_participant_raisedHand")) != NULL) {
		text = xmpp_stanza_get_text(c);
		p->hand_raised = text != NULL && *text != '\0' &&
		    strcmp(text, "false") != 0;
		if (text != NULL)
			xmpp_free(ctx, text);
	}
	p->flip_device = xmpp_stanza_get_child_by_name(st, "flip_device") !=
	    NULL;
	features(st, p);
	if ((c = xmpp_stanza_get_child_by_name(st, "transcription-status")) !=
	    NULL && (name = xmpp_stanza_get_attribute(c, "status")) != NULL)
		p->transcription = strcasecmp(name, "ON") == 0;
	if ((c = xmpp_stanza_get_child_by_name_and_ns(st,
	    "jibri-recording-status", NS_JIBRI)) != NULL) {
		p->has_recording = 1;
		p->rec_status = attr(c, "status");
		p->rec_mode = attr(c, "recording_mode");
		p->rec_session = attr(c, "session_id");
		p->rec_failure = attr(c, "failure_reason");
		p->rec_initiator = attr(c, "initiator");
	}
	return 0;
fail:
	presence_clear(p);
	return -1;
}
