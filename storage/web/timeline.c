/*
 * The session timeline: events (report_timeline()) replayed in order into
 * per-participant intervals, then drawn as SVG on the server, so the
 * picture needs no script and survives being mailed in a file.
 *
 * Replay rules (the vocabulary of bot/event.c):
 *   join, reconnect          presence starts (and a lobby wait ends)
 *   leave | disconnect |     presence ends: a clean leave, a drop, a kick,
 *   kicked | device_switch   a device switch; media and speaking end too
 *   audio_*, video_*,        microphone, camera, screen share, hand; only
 *   screenshare_*, hand_*    drawn while present
 *   dominant_speaker         this lane speaks until the next one (or
 *                            "silence", or it leaves)
 *   connection_interrupted / a resumed interruption (companion module)
 *   connection_restored
 *   lobby_join / lobby_leave / lobby_admitted / lobby_denied, breakout_move:
 *                            drawn when recorded
 *   billable_*, recording_*, livestream_*, transcription_*, observer_gap:
 *                            session tracks; alerts come from the alerts rows
 *   session_end              everything still open ends
 * Unknown types are skipped, so a newer daemon's events do no harm.
 *
 * Over 800 lines on purpose: the replay and its drawing share a model
 * (struct tl_*) nothing else needs; split, it would become a header for
 * two callers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "text.h"
#include "timeline.h"
#include "xmalloc.h"

/* SVG geometry (user units; the SVG scales to the page width). */
#define W		1000
#define LABEL_X		8
#define X0		190
#define X1		(W - 12)
#define AXIS_H		26
#define ROW_H		16
#define PRESENT_H	14
#define SUB_H		6
#define SUB_GAP		5
#define LANE_PAD	12
#define NAME_MAX	24	/* code points of a name drawn in the label */

static const char *const track_names[TL__TRACKS] = {
	[TL_PRESENT] = "present", [TL_LOBBY] = "lobby",
	[TL_INTERRUPTED] = "interrupted", [TL_MIC] = "mic",
	[TL_CAMERA] = "camera", [TL_SCREEN] = "screen",
	[TL_SPEAKING] = "speaking", [TL_HAND] = "hand",
};

static const char *const mark_names[TLM__KINDS] = {
	[TLM_JOIN] = "join", [TLM_RECONNECT] = "reconnect",
	[TLM_LEAVE] = "leave", [TLM_DROP] = "drop", [TLM_KICKED] = "kicked",
	[TLM_DEVICE] = "device switch", [TLM_INTERRUPTED] = "interrupted",
	[TLM_LOBBY_DENIED] = "lobby denied", [TLM_BREAKOUT] = "breakout move",
	[TLM_RENAME] = "rename",
};

static const char *const row_names[TLR__KINDS] = {
	[TLR_BOOKED] = "booked", [TLR_BILLABLE] = "billable",
	[TLR_RECORDING] = "recording", [TLR_LIVESTREAM] = "live stream",
	[TLR_TRANSCRIPTION] = "transcription", [TLR_GAP] = "observer gap",
	[TLR_LOBBY] = "lobby", [TLR_ALERT] = "alert",
};

const char *
timeline_track_name(enum tl_track t)
{
	return (int)t >= 0 && t < TL__TRACKS ? track_names[t] : "?";
}

const char *
timeline_mark_name(enum tl_mark_kind k)
{
	return (int)k >= 0 && k < TLM__KINDS ? mark_names[k] : "?";
}

static void
span_add(struct tl_spans *s, int64_t from, int64_t to, int open)
{
	if (to < from)
		to = from;
	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n].from = from;
	s->v[s->n].to = to;
	s->v[s->n].open = open;
	s->n++;
}

static void
track_on(struct tl_lane *l, enum tl_track t, int64_t at)
{
	if (l->on[t])
		return;
	l->on[t] = 1;
	l->since[t] = at;
}

static void
track_off(struct tl_lane *l, enum tl_track t, int64_t at, int open)
{
	if (!l->on[t])
		return;
	l->on[t] = 0;
	span_add(&l->tracks[t], l->since[t], at, open);
}

static void
mark_add(struct tl_lane *l, int64_t at, enum tl_mark_kind k,
    const char *detail)
{
	l->marks = xreallocarray(l->marks, l->nmarks + 1, sizeof(*l->marks));
	l->marks[l->nmarks].at = at;
	l->marks[l->nmarks].kind = k;
	l->marks[l->nmarks].detail = detail != NULL && *detail != '\0' ?
	    xstrdup(detail) : NULL;
	l->nmarks++;
}

/*
 * Media is drawn only while present.  want[] is what the participant
 * has on (kept across a drop: the best guess for a reconnect, whose
 * state at join is no event either); on[] is what is being drawn.
 */
struct media {
	int	 want[TL__TRACKS];
};

static const enum tl_track media_tracks[] = {
	TL_MIC, TL_CAMERA, TL_SCREEN, TL_HAND
};
#define NMEDIA	(sizeof(media_tracks) / sizeof(media_tracks[0]))

static void
presence_start(struct tl_lane *l, const struct media *m, int64_t at)
{
	size_t	 i;

	track_off(l, TL_LOBBY, at, 0);
	track_on(l, TL_PRESENT, at);
	for (i = 0; i < NMEDIA; i++)
		if (m->want[media_tracks[i]])
			track_on(l, media_tracks[i], at);
}

static void
presence_end(struct tl_lane *l, int64_t at, int open)
{
	int	 t;

	for (t = 0; t < TL__TRACKS; t++)
		if (t != TL_LOBBY)
			track_off(l, (enum tl_track)t, at, open);
}

static void
media_set(struct tl_lane *l, struct media *m, enum tl_track t, int on,
    int64_t at)
{
	m->want[t] = on;
	if (!on)
		track_off(l, t, at, 0);
	else if (l->on[TL_PRESENT])
		track_on(l, t, at);
}

/* The toggles of each media track: type turning it on, then off. */
static const struct {
	enum tl_track	 track;
	const char	*on;
	const char	*off;
	const char	*flag;		/* the participant row's "ever on" */
} toggles[] = {
	{ TL_MIC, "audio_unmute", "audio_mute", "microphone_enabled" },
	{ TL_CAMERA, "video_unmute", "video_mute", "camera_enabled" },
	{ TL_SCREEN, "screenshare_start", "screenshare_stop",
	    "screen_shared" },
	{ TL_HAND, "hand_raise", "hand_lower", NULL },
};
#define NTOGGLES	(sizeof(toggles) / sizeof(toggles[0]))

/* Initial media state of the lane for participant row i (see header). */
static void
media_initial(struct media *m, const struct report_rows *parts, size_t i,
    const struct report_rows *ev)
{
	const char	*type, *f;
	size_t		 k, e;
	int64_t		 id = report_get_int(parts, i, "id");
	int		 seen;

	memset(m, 0, sizeof(*m));
	for (k = 0; k < NTOGGLES; k++) {
		seen = 0;
		for (e = 0; ev != NULL && e < ev->nrows && !seen; e++) {
			if (report_get_int(ev, e, "participant") != id ||
			    (type = report_get(ev, e, "type")) == NULL)
				continue;
			if (strcmp(type, toggles[k].on) == 0)
				seen = 1;	/* off before */
			else if (strcmp(type, toggles[k].off) == 0) {
				seen = 1;
				m->want[toggles[k].track] = 1;
			}
		}
		if (!seen && toggles[k].flag != NULL &&
		    (f = report_get(parts, i, toggles[k].flag)) != NULL)
			m->want[toggles[k].track] = strcmp(f, "0") != 0;
	}
}

static struct tl_lane *
lane_of(struct timeline *tl, int64_t id)
{
	size_t	 i;

	for (i = 0; i < tl->nlanes; i++)
		if (tl->lanes[i].id == id)
			return &tl->lanes[i];
	return NULL;
}

static struct tl_row *
row_new(struct timeline *tl, enum tl_row_kind kind, const char *label)
{
	struct tl_row	*r;

	tl->rows = xreallocarray(tl->rows, tl->nrows + 1, sizeof(*tl->rows));
	r = &tl->rows[tl->nrows++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->label = xstrdup(label != NULL ? label : row_names[kind]);
	return r;
}

/* The session track of kind (not alerts), created on first use. */
static struct tl_row *
row_get(struct timeline *tl, enum tl_row_kind kind)
{
	size_t	 i;

	for (i = 0; i < tl->nrows; i++)
		if (tl->rows[i].kind == kind)
			return &tl->rows[i];
	return row_new(tl, kind, NULL);
}

static void
row_on(struct timeline *tl, enum tl_row_kind kind, int64_t at)
{
	struct tl_row	*r = row_get(tl, kind);

	if (!r->on) {
		r->on = 1;
		r->since = at;
	}
}

static void
row_off(struct tl_row *r, int64_t at, int open)
{
	if (!r->on)
		return;
	r->on = 0;
	span_add(&r->spans, r->since, at, open);
}

/* A string member of the JSON object data, copied, or NULL. */
static char *
jstr(json_t *data, const char *key)
{
	json_t	*v;

	if (data == NULL || (v = json_object_get(data, key)) == NULL)
		return NULL;
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Replay one event. */
static void
replay(struct timeline *tl, struct media *media, const char *type,
    struct tl_lane *l, int64_t at, json_t *data)
{
	struct media	*m = l != NULL ? &media[l - tl->lanes] : NULL;
	char		*s = NULL;
	size_t		 i, k;
	int		 silence;

	if (l != NULL) {
		for (k = 0; k < NTOGGLES; k++)
			if (strcmp(type, toggles[k].on) == 0 ||
			    strcmp(type, toggles[k].off) == 0) {
				media_set(l, m, toggles[k].track,
				    strcmp(type, toggles[k].on) == 0, at);
				return;
			}
		if (strcmp(type, "join") == 0 ||
		    strcmp(type, "reconnect") == 0) {
			presence_start(l, m, at);
			mark_add(l, at, type[0] == 'j' ? TLM_JOIN :
			    TLM_RECONNECT, s = jstr(data, "nick"));
		} else if (strcmp(type, "leave") == 0) {
			presence_end(l, at, 0);
			mark_add(l, at, TLM_LEAVE, NULL);
		} else if (strcmp(type, "disconnect") == 0) {
			presence_end(l, at, 0);
			mark_add(l, at, TLM_DROP, s = jstr(data, "status"));
		} else if (strcmp(type, "kicked") == 0) {
			presence_end(l, at, 0);
			mark_add(l, at, TLM_KICKED, s = jstr(data, "reason"));
		} else if (strcmp(type, "device_switch") == 0) {
			presence_end(l, at, 0);
			mark_add(l, at, TLM_DEVICE, NULL);
		} else if (strcmp(type, "connection_interrupted") == 0) {
			track_on(l, TL_INTERRUPTED, at);
			mark_add(l, at, TLM_INTERRUPTED, NULL);
		} else if (strcmp(type, "connection_restored") == 0)
			track_off(l, TL_INTERRUPTED, at, 0);
		else if (strcmp(type, "lobby_join") == 0)
			track_on(l, TL_LOBBY, at);
		else if (strcmp(type, "lobby_leave") == 0 ||
		    strcmp(type, "lobby_admitted") == 0)
			track_off(l, TL_LOBBY, at, 0);
		else if (strcmp(type, "lobby_denied") == 0) {
			track_off(l, TL_LOBBY, at, 0);
			mark_add(l, at, TLM_LOBBY_DENIED, NULL);
		} else if (strcmp(type, "breakout_move") == 0) {
			s = data != NULL ? json_dumps(data, JSON_COMPACT) :
			    NULL;
			mark_add(l, at, TLM_BREAKOUT, s);
		} else if (strcmp(type, "nick_change") == 0)
			mark_add(l, at, TLM_RENAME, s = jstr(data, "new"));
	}
	if (strcmp(type, "dominant_speaker") == 0) {
		silence = data != NULL &&
		    json_is_true(json_object_get(data, "silence"));
		for (i = 0; i < tl->nlanes; i++)
			track_off(&tl->lanes[i], TL_SPEAKING, at, 0);
		if (l != NULL && !silence && l->on[TL_PRESENT])
			track_on(l, TL_SPEAKING, at);
	} else if (l == NULL && strncmp(type, "lobby_", 6) == 0) {
		/* Somebody without a participant row waited. */
		if (strcmp(type, "lobby_join") == 0)
			row_on(tl, TLR_LOBBY, at);
		else
			row_off(row_get(tl, TLR_LOBBY), at, 0);
	} else if (strcmp(type, "billable_start") == 0)
		row_on(tl, TLR_BILLABLE, at);
	else if (strcmp(type, "billable_stop") == 0)
		row_off(row_get(tl, TLR_BILLABLE), at, 0);
	else if (strcmp(type, "recording_start") == 0)
		row_on(tl, TLR_RECORDING, at);
	else if (strcmp(type, "recording_stop") == 0 ||
	    strcmp(type, "recording_failed") == 0)
		row_off(row_get(tl, TLR_RECORDING), at, 0);
	else if (strcmp(type, "livestream_start") == 0)
		row_on(tl, TLR_LIVESTREAM, at);
	else if (strcmp(type, "livestream_stop") == 0)
		row_off(row_get(tl, TLR_LIVESTREAM), at, 0);
	else if (strcmp(type, "transcription_start") == 0)
		row_on(tl, TLR_TRANSCRIPTION, at);
	else if (strcmp(type, "transcription_stop") == 0)
		row_off(row_get(tl, TLR_TRANSCRIPTION), at, 0);
	else if (strcmp(type, "observer_gap") == 0) {
		char	*from = jstr(data, "from"), *to = jstr(data, "to");
		int64_t	 f = web_parse_time(from), t = web_parse_time(to);

		if (f >= 0 && t >= f)
			span_add(&row_get(tl, TLR_GAP)->spans, f, t, 0);
		free(from);
		free(to);
	}
	free(s);
}

/* Close everything still open at end (open: the session still runs). */
static void
close_all(struct timeline *tl, int64_t end, int open)
{
	size_t	 i;
	int	 t;

	for (i = 0; i < tl->nlanes; i++)
		for (t = 0; t < TL__TRACKS; t++)
			track_off(&tl->lanes[i], (enum tl_track)t, end, open);
	for (i = 0; i < tl->nrows; i++)
		row_off(&tl->rows[i], end, open);
}

struct timeline *
timeline_build(const struct report_rows *sess,
    const struct report_rows *parts, const struct report_rows *ev,
    const struct report_rows *alerts, int64_t now_ms)
{
	struct timeline	*tl;
	struct media	*media;
	struct tl_lane	*l;
	struct tl_row	*r;
	json_t		*data;
	const char	*type, *t, *status;
	size_t		 i, n;
	int64_t		 at, start, end, last = -1, first = -1, v;
	int		 running;

	if (sess == NULL || sess->nrows == 0)
		return NULL;
	tl = xcalloc(1, sizeof(*tl));
	n = parts != NULL ? parts->nrows : 0;
	tl->lanes = xcalloc(n + 1, sizeof(*tl->lanes));
	media = xcalloc(n + 1, sizeof(*media));
	for (i = 0; i < n; i++) {
		l = &tl->lanes[tl->nlanes++];
		l->id = report_get_int(parts, i, "id");
		t = report_get(parts, i, "participant_name");
		l->name = xstrdup(t != NULL ? t : (t = report_get(parts, i,
		    "nick")) != NULL ? t : "?");
		t = report_get(parts, i, "participant_role");
		l->role = xstrdup(t != NULL ? t : "unknown");
		media_initial(&media[i], parts, i, ev);
	}

	status = report_get(sess, 0, "session_status");
	running = status != NULL && strcmp(status, "active") == 0;
	start = web_parse_time(report_get(sess, 0, "startTime"));
	end = web_parse_time(report_get(sess, 0, "endTime"));

	for (i = 0; ev != NULL && i < ev->nrows; i++) {
		if ((type = report_get(ev, i, "type")) == NULL ||
		    (at = web_parse_time(report_get(ev, i, "timestamp"))) < 0)
			continue;
		if (first < 0)
			first = at;
		last = at;
		if (strcmp(type, "session_end") == 0) {
			close_all(tl, at, 0);
			continue;
		}
		t = report_get(ev, i, "data");
		data = t != NULL ? json_loads(t, 0, NULL) : NULL;
		if (data != NULL && !json_is_object(data)) {
			json_decref(data);
			data = NULL;
		}
		l = report_get(ev, i, "participant") != NULL ?
		    lane_of(tl, report_get_int(ev, i, "participant")) : NULL;
		replay(tl, media, type, l, at, data);
		json_decref(data);
	}

	/* The drawing's range. */
	if (start < 0 || (first >= 0 && first < start))
		start = first;
	if (running)
		end = now_ms > last ? now_ms : last;
	else if (end < 0 || end < last)
		end = last;
	if (start < 0) {
		/* Never started: a booked appointment nobody came to. */
		start = web_parse_time(report_get(sess, 0, "scheduled_start"));
		if (start < 0)
			start = now_ms;
		end = start + (int64_t)(atof((t = report_get(sess, 0,
		    "scheduled_duration_minutes")) != NULL ? t : "0") *
		    60000);
	}
	if (end <= start)
		end = start + 1000;

	/* A row with nobody ever seen joining: its recorded times. */
	for (i = 0; i < tl->nlanes; i++) {
		l = &tl->lanes[i];
		if (l->tracks[TL_PRESENT].n > 0 || l->on[TL_PRESENT])
			continue;
		if ((at = web_parse_time(report_get(parts, i,
		    "joined_at"))) < 0)
			continue;
		v = web_parse_time(report_get(parts, i, "left_at"));
		span_add(&l->tracks[TL_PRESENT], at, v >= 0 ? v : end,
		    v < 0 && running);
	}
	close_all(tl, end, running);
	free(media);

	/* The booked window, then each alert. */
	if ((v = web_parse_time(report_get(sess, 0, "scheduled_start"))) >= 0) {
		t = report_get(sess, 0, "scheduled_duration_minutes");
		r = row_new(tl, TLR_BOOKED, NULL);
		span_add(&r->spans, v, v + (int64_t)(atof(t != NULL ? t :
		    "0") * 60000), 0);
	}
	for (i = 0; alerts != NULL && i < alerts->nrows; i++) {
		if ((at = web_parse_time(report_get(alerts, i,
		    "raised_at"))) < 0)
			continue;
		v = web_parse_time(report_get(alerts, i, "cleared_at"));
		r = row_new(tl, TLR_ALERT, report_get(alerts, i, "rule"));
		t = report_get(alerts, i, "severity");
		r->severity = xstrdup(t != NULL ? t : "info");
		if (report_get(alerts, i, "participant") != NULL &&
		    (l = lane_of(tl, report_get_int(alerts, i,
		    "participant"))) != NULL)
			r->detail = xstrdup(l->name);
		span_add(&r->spans, at, v >= 0 ? v : end, v < 0);
	}
	tl->start = start;
	tl->end = end;
	return tl;
}

void
timeline_free(struct timeline *tl)
{
	size_t	 i, k;
	int	 t;

	if (tl == NULL)
		return;
	for (i = 0; i < tl->nlanes; i++) {
		free(tl->lanes[i].name);
		free(tl->lanes[i].role);
		for (t = 0; t < TL__TRACKS; t++)
			free(tl->lanes[i].tracks[t].v);
		for (k = 0; k < tl->lanes[i].nmarks; k++)
			free(tl->lanes[i].marks[k].detail);
		free(tl->lanes[i].marks);
	}
	for (i = 0; i < tl->nrows; i++) {
		free(tl->rows[i].label);
		free(tl->rows[i].severity);
		free(tl->rows[i].detail);
		free(tl->rows[i].spans.v);
	}
	free(tl->lanes);
	free(tl->rows);
	free(tl);
}

/*
 * Drawing
 */

static double
xpos(const struct timeline *tl, int64_t t)
{
	if (t < tl->start)
		t = tl->start;
	if (t > tl->end)
		t = tl->end;
	return X0 + (double)(t - tl->start) * (X1 - X0) /
	    (double)(tl->end - tl->start);
}

/* "HH:MM:SS" of ms, UTC. */
static void
clock_text(char *buf, size_t sz, int64_t ms)
{
	int64_t	 s = (ms / 1000) % 86400;

	snprintf(buf, sz, "%02d:%02d:%02d", (int)(s / 3600),
	    (int)(s / 60 % 60), (int)(s % 60));
}

/* "HH:MM:SS-HH:MM:SS (N s)" for a span's title. */
static void
span_title(struct wbuf *b, const struct tl_span *s)
{
	char	 a[16], z[16];

	clock_text(a, sizeof(a), s->from);
	clock_text(z, sizeof(z), s->to);
	wbuf_printf(b, "%s-%s%s (", a, z, s->open ? " and on" : "");
	if (s->to - s->from < 10000)
		wbuf_printf(b, "%.1f s)", (double)(s->to - s->from) / 1000);
	else
		wbuf_printf(b, "%lld s)", (long long)((s->to - s->from) /
		    1000));
}

static void
draw_spans(struct wbuf *b, const struct timeline *tl,
    const struct tl_spans *sp, const char *cls, const char *what,
    const char *who, double y, double h)
{
	double	 x, w;
	size_t	 i;

	for (i = 0; i < sp->n; i++) {
		x = xpos(tl, sp->v[i].from);
		w = xpos(tl, sp->v[i].to) - x;
		if (w < 1.5)
			w = 1.5;	/* an instant still shows */
		wbuf_printf(b, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" "
		    "width=\"%.1f\" height=\"%.1f\"><title>", cls, x, y, w,
		    h);
		if (who != NULL) {
			wbuf_html(b, who);
			wbuf_puts(b, ": ");
		}
		wbuf_html(b, what);
		wbuf_puts(b, " ");
		span_title(b, &sp->v[i]);
		wbuf_puts(b, "</title></rect>\n");
	}
}

/* The first max code points of s, with "..." when cut; caller frees. */
static char *
cut(const char *s, size_t max)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint32_t		 c;
	size_t			 n, k = 0;
	char			*out;

	while (*p != '\0' && k < max) {
		if ((n = utf8_decode(p, &c)) == 0)
			n = 1;
		p += n;
		k++;
	}
	if (*p == '\0')
		return xstrdup(s);
	out = xmalloc((size_t)(p - (const unsigned char *)s) + 4);
	memcpy(out, s, (size_t)(p - (const unsigned char *)s));
	memcpy(out + (p - (const unsigned char *)s), "...", 4);
	return out;
}

static void
draw_mark(struct wbuf *b, const struct timeline *tl, const struct tl_lane *l,
    const struct tl_mark *m, double y)
{
	static const char *const cls[TLM__KINDS] = {
		[TLM_JOIN] = "m-join", [TLM_RECONNECT] = "m-reconnect",
		[TLM_LEAVE] = "m-leave", [TLM_DROP] = "m-drop",
		[TLM_KICKED] = "m-kicked", [TLM_DEVICE] = "m-other",
		[TLM_INTERRUPTED] = "m-interrupted",
		[TLM_LOBBY_DENIED] = "m-kicked",
		[TLM_BREAKOUT] = "m-other", [TLM_RENAME] = "m-other",
	};
	double	 x = xpos(tl, m->at);
	char	 t[16];

	clock_text(t, sizeof(t), m->at);
	wbuf_printf(b, "<g class=\"mark %s\" data-kind=\"%s\">", cls[m->kind],
	    mark_names[m->kind]);
	switch (m->kind) {
	case TLM_DROP:
	case TLM_INTERRUPTED:
		/* A downward triangle above the bar. */
		wbuf_printf(b, "<polygon points=\"%.1f,%.1f %.1f,%.1f "
		    "%.1f,%.1f\">", x - 5, y - 7, x + 5, y - 7, x, y + 1);
		break;
	case TLM_LEAVE:
	case TLM_KICKED:
	case TLM_DEVICE:
	case TLM_LOBBY_DENIED:
		wbuf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"3\" "
		    "height=\"%d\">", x - 1.5, y - 3, PRESENT_H + 6);
		break;
	default:
		wbuf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\">", x,
		    y - 4);
		break;
	}
	wbuf_puts(b, "<title>");
	wbuf_html(b, l->name);
	wbuf_printf(b, ": %s at %s", mark_names[m->kind], t);
	if (m->detail != NULL) {
		wbuf_puts(b, " (");
		wbuf_html(b, m->detail);
		wbuf_puts(b, ")");
	}
	switch (m->kind) {
	case TLM_DROP:
	case TLM_INTERRUPTED:
		wbuf_puts(b, "</title></polygon>");
		break;
	case TLM_LEAVE:
	case TLM_KICKED:
	case TLM_DEVICE:
	case TLM_LOBBY_DENIED:
		wbuf_puts(b, "</title></rect>");
		break;
	default:
		wbuf_puts(b, "</title></circle>");
		break;
	}
	wbuf_puts(b, "</g>\n");
}

static void
axis(struct wbuf *b, const struct timeline *tl, double height)
{
	static const int64_t steps[] = {
		1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000,
		600000, 900000, 1800000, 3600000, 7200000, 10800000, 21600000,
		43200000, 86400000
	};
	int64_t	 span = tl->end - tl->start, step = steps[0], t;
	size_t	 i;
	double	 x;
	char	 txt[16];

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		step = steps[i];
		if (span / step <= 8)
			break;
	}
	wbuf_printf(b, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
	    "y2=\"%d\"/>\n", X0, AXIS_H - 6, X1, AXIS_H - 6);
	for (t = (tl->start + step - 1) / step * step; t <= tl->end;
	    t += step) {
		x = xpos(tl, t);
		clock_text(txt, sizeof(txt), t);
		wbuf_printf(b, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" "
		    "x2=\"%.1f\" y2=\"%.1f\"/><text class=\"tick\" "
		    "x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
		    x, AXIS_H - 6, x, height - 4, x, AXIS_H - 10, txt);
	}
}

static const enum tl_track sub_tracks[] = {
	TL_MIC, TL_CAMERA, TL_SCREEN, TL_SPEAKING, TL_HAND
};
#define NSUB	(sizeof(sub_tracks) / sizeof(sub_tracks[0]))
#define LANE_H	(14 + PRESENT_H + (int)NSUB * (SUB_H + SUB_GAP) + LANE_PAD)

void
timeline_svg(struct wbuf *b, const struct timeline *tl)
{
	const struct tl_lane	*l;
	const struct tl_row	*r;
	size_t			 i, k, drops, leaves;
	double			 y, height;
	char			*name, cls[32];

	height = AXIS_H + (double)tl->nrows * ROW_H + 8 +
	    (double)tl->nlanes * LANE_H + 8;
	wbuf_printf(b, "<svg class=\"timeline\" xmlns=\"http://www.w3.org/"
	    "2000/svg\" viewBox=\"0 0 %d %.0f\" width=\"%d\" "
	    "height=\"%.0f\" role=\"img\" aria-label=\"Session timeline: "
	    "%zu participant lane(s)\">\n", W, height, W, height,
	    tl->nlanes);
	axis(b, tl, height);

	y = AXIS_H;
	for (i = 0; i < tl->nrows; i++, y += ROW_H) {
		r = &tl->rows[i];
		if (r->kind == TLR_ALERT)
			snprintf(cls, sizeof(cls), "alert-%s",
			    strcmp(r->severity, "critical") == 0 ? "critical" :
			    strcmp(r->severity, "warning") == 0 ? "warning" :
			    "info");
		else
			snprintf(cls, sizeof(cls), "%s", r->kind ==
			    TLR_BILLABLE ? "billable" : r->kind ==
			    TLR_RECORDING || r->kind == TLR_LIVESTREAM ||
			    r->kind == TLR_TRANSCRIPTION ? "recording" :
			    r->kind == TLR_BOOKED ? "booked" : r->kind ==
			    TLR_LOBBY ? "lobby" : "gap");
		wbuf_printf(b, "<g class=\"track\" data-track=\"%s\">",
		    row_names[r->kind]);
		wbuf_printf(b, "<text class=\"small\" x=\"%d\" y=\"%.1f\">",
		    LABEL_X, y + 11);
		if (r->kind == TLR_ALERT)
			wbuf_puts(b, "alert: ");
		name = cut(r->label, NAME_MAX);
		wbuf_html(b, name);
		free(name);
		wbuf_puts(b, "</text>\n");
		draw_spans(b, tl, &r->spans, cls, r->label, r->detail,
		    y + 3, ROW_H - 6);
		wbuf_puts(b, "</g>\n");
	}
	y += 8;

	for (i = 0; i < tl->nlanes; i++, y += LANE_H) {
		l = &tl->lanes[i];
		drops = leaves = 0;
		for (k = 0; k < l->nmarks; k++) {
			drops += l->marks[k].kind == TLM_DROP;
			leaves += l->marks[k].kind == TLM_LEAVE;
		}
		wbuf_printf(b, "<g class=\"lane\" data-participant=\"%lld\" "
		    "data-present-spans=\"%zu\" data-drops=\"%zu\" "
		    "data-leaves=\"%zu\">\n", (long long)l->id,
		    l->tracks[TL_PRESENT].n, drops, leaves);
		wbuf_printf(b, "<rect class=\"lanebg\" x=\"0\" y=\"%.1f\" "
		    "width=\"%d\" height=\"%d\"/>\n", y, W, LANE_H - 4);
		name = cut(l->name, NAME_MAX);
		wbuf_printf(b, "<text class=\"name\" x=\"%d\" y=\"%.1f\">",
		    LABEL_X, y + 14);
		wbuf_html(b, name);
		wbuf_puts(b, "<title>");
		wbuf_html(b, l->name);
		wbuf_puts(b, " (");
		wbuf_html(b, l->role);
		wbuf_puts(b, ")</title></text>\n");
		free(name);
		wbuf_printf(b, "<text class=\"small\" x=\"%d\" y=\"%.1f\">",
		    LABEL_X, y + 27);
		wbuf_html(b, l->role);
		wbuf_puts(b, "</text>\n");
		draw_spans(b, tl, &l->tracks[TL_LOBBY], "lobby", "lobby",
		    l->name, y + 6, PRESENT_H);
		draw_spans(b, tl, &l->tracks[TL_PRESENT], "present",
		    "present", l->name, y + 6, PRESENT_H);
		draw_spans(b, tl, &l->tracks[TL_INTERRUPTED], "interrupted",
		    "connection interrupted", l->name, y + 6, PRESENT_H);
		for (k = 0; k < NSUB; k++) {
			double sy = y + 8 + PRESENT_H + 4 +
			    (double)k * (SUB_H + SUB_GAP);

			wbuf_printf(b, "<text class=\"small\" x=\"%d\" "
			    "y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			    X0 - 6, sy + SUB_H + 1,
			    track_names[sub_tracks[k]]);
			draw_spans(b, tl, &l->tracks[sub_tracks[k]],
			    track_names[sub_tracks[k]],
			    track_names[sub_tracks[k]], l->name, sy, SUB_H);
		}
		for (k = 0; k < l->nmarks; k++)
			draw_mark(b, tl, l, &l->marks[k], y + 6);
		wbuf_puts(b, "</g>\n");
	}
	wbuf_puts(b, "</svg>\n<p class=\"legend\">"
	    "<span><i class=\"present\"></i>present</span>"
	    "<span><i class=\"interrupted\"></i>connection interrupted "
	    "(resumed)</span>"
	    "<span><i class=\"lobby\"></i>lobby</span>"
	    "<span><i class=\"mic\"></i>microphone</span>"
	    "<span><i class=\"camera\"></i>camera</span>"
	    "<span><i class=\"screen\"></i>screen share</span>"
	    "<span><i class=\"speaking\"></i>speaking</span>"
	    "<span><i class=\"hand\"></i>hand up</span>"
	    "<span><i class=\"billable\"></i>billable</span>"
	    "<span><i class=\"recording\"></i>recording</span>"
	    "<span><i class=\"gap\"></i>observer gap</span>"
	    "<span>\xe2\x96\xbc drop (red) or interruption (orange) "
	    "\xc2\xb7 | clean leave or kick \xc2\xb7 \xe2\x97\x8f join or "
	    "reconnect</span></p>\n");
}
