/*
 * One session's story as lanes: one lane per participant row with the
 * intervals it was present, in the lobby, interrupted (a resumed
 * connection), with microphone, camera, screen share, speaking and hand
 * up, and marks for joins, drops, clean leaves, kicks, breakout moves;
 * plus session tracks (booked window, billable overlap, recording,
 * observer gaps, each alert from raise to clear).  Built from the rows
 * report.c returns, drawn as SVG.  Pure: the clock is an argument.
 */
#ifndef TELETRACK_TIMELINE_H
#define TELETRACK_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "report.h"
#include "webutil.h"

enum tl_track {
	TL_PRESENT,
	TL_LOBBY,
	TL_INTERRUPTED,
	TL_MIC,
	TL_CAMERA,
	TL_SCREEN,
	TL_SPEAKING,
	TL_HAND,
	TL__TRACKS
};

enum tl_mark_kind {
	TLM_JOIN,
	TLM_RECONNECT,
	TLM_LEAVE,		/* clean */
	TLM_DROP,		/* disconnect */
	TLM_KICKED,
	TLM_DEVICE,		/* device switch */
	TLM_INTERRUPTED,	/* connection interrupted */
	TLM_LOBBY_DENIED,
	TLM_BREAKOUT,
	TLM_RENAME,
	TLM__KINDS
};

struct tl_span {
	int64_t		 from;		/* ms since the epoch */
	int64_t		 to;
	int		 open;		/* still going at the timeline's end */
};

struct tl_mark {
	int64_t		 at;
	enum tl_mark_kind kind;
	char		*detail;	/* raw text (escaped when drawn) or NULL */
};

struct tl_spans {
	struct tl_span	*v;
	size_t		 n;
};

struct tl_lane {
	int64_t		 id;		/* participant row id */
	char		*name;
	char		*role;
	struct tl_spans	 tracks[TL__TRACKS];
	struct tl_mark	*marks;
	size_t		 nmarks;
	/* while building */
	int		 on[TL__TRACKS];
	int64_t		 since[TL__TRACKS];
};

/* A session-wide track: booked, billable, recording, gap, an alert. */
enum tl_row_kind {
	TLR_BOOKED,
	TLR_BILLABLE,
	TLR_RECORDING,
	TLR_LIVESTREAM,
	TLR_TRANSCRIPTION,
	TLR_GAP,
	TLR_LOBBY,		/* lobby waits of people without a row */
	TLR_ALERT,
	TLR__KINDS
};

struct tl_row {
	enum tl_row_kind kind;
	char		*label;		/* alerts: the rule */
	char		*severity;	/* alerts */
	char		*detail;	/* title text */
	struct tl_spans	 spans;
	int		 on;
	int64_t		 since;
};

struct timeline {
	int64_t		 start;		/* ms; end > start */
	int64_t		 end;
	struct tl_lane	*lanes;
	size_t		 nlanes;
	struct tl_row	*rows;
	size_t		 nrows;
};

/*
 * Build the timeline of one session from report_session_row(),
 * report_participant_rows(), report_timeline() and
 * report_session_alerts() (alerts may be NULL).  Intervals still open
 * end at the session's end, or at now_ms while it runs.  Microphone,
 * camera and screen state at join is not an event: a lane's state
 * before its first toggle is the opposite of that toggle, and without
 * toggles the row's *_enabled flag ("ever on") holds for all its
 * presence.  Returns NULL when session has no row; timeline_free()
 * frees the result.
 */
struct timeline *timeline_build(const struct report_rows *session,
		    const struct report_rows *participants,
		    const struct report_rows *events,
		    const struct report_rows *alerts, int64_t now_ms);

void		 timeline_free(struct timeline *);

/* Append the timeline as an inline <svg> (names escaped) and a legend. */
void		 timeline_svg(struct wbuf *, const struct timeline *);

/* Name of a track or mark kind ("present", "drop", ...). */
const char	*timeline_track_name(enum tl_track);
const char	*timeline_mark_name(enum tl_mark_kind);

#endif
