/*
 * Pure parsing of MUC presence: xmpp_stanza_t -> struct presence.
 * No I/O, no state.  Every string in struct presence is an owned copy
 * (malloc) released by presence_clear(), so a presence may outlive the
 * stanza.  Strings the stanza lacks are NULL.
 */
#ifndef TELETRACK_PRESENCE_H
#define TELETRACK_PRESENCE_H

#include <strophe.h>

#define PRESENCE_MAX_CODES	8
#define PRESENCE_MAX_NICK	1023	/* a JID resource's limit; longer: rejected */

enum presence_kind {
	PRESENCE_AVAILABLE,
	PRESENCE_UNAVAILABLE,
	PRESENCE_ERROR
};

/* Tri-state for values a presence may not state: -1 unknown. */
#define MEDIA_UNKNOWN	(-1)

/*
 * What a presence says of the occupant's media, per kind: 1 on, 0 off
 * (muted, or a stopped share), MEDIA_UNKNOWN when it says nothing of that
 * kind.  lib-jitsi-meet's SourceInfo names a source only once the client
 * has announced it: "{}" at a join means "not said yet", not "muted".
 */
struct media_state {
	int	audio;		/* an -a source unmuted */
	int	camera;		/* a video source, not desktop, unmuted */
	int	share;		/* a videoType desktop source unmuted */
};

struct presence {
	enum presence_kind	 kind;
	char			*room;	/* bare room JID, lower case */
	char			*nick;	/* resource: the MUC nick */

	/* muc#user <item>: the first item (multi-session occupants send
	   several; they share role and affiliation). */
	char			*jid;		/* real JID, or NULL */
	char			*role;		/* moderator, participant, ... */
	char			*affiliation;
	char			*new_nick;	/* item nick with status 303 */
	char			*actor_nick;	/* kick actor */
	char			*reason;	/* kick reason */
	int			 codes[PRESENCE_MAX_CODES];
	int			 ncodes;
	int			 destroyed;	/* muc#user <destroy> */
	char			*destroy_reason;

	char			*status_text;	/* <status> text */
	char			*error_condition; /* PRESENCE_ERROR: e.g.
						     "not-allowed" */
	char			*retry;		/* the companion module's
						   reason: no-room, no-focus
						   (retry), health-check,
						   not-in-meeting (never) */

	/* Jitsi elements */
	char			*display_name;	/* <nick xmlns=.../nick> */
	char			*stats_id;
	char			*identity_id;	/* <identity><user><id> */
	char			*identity_name;	/* <identity><user><name> */
	char			*identity_role;	/* field named by role_field */
	struct media_state	 media;
	int			 hand_raised;	/* -1 unknown, 0, 1 */
	int			 flip_device;
	int			 feature_jibri;	/* features advertise jibri */
	int			 feature_transcriber;
	int			 transcription;	/* <transcription-status>:
						   -1 none, 0 OFF, 1 ON */

	/* focus: <jibri-recording-status> */
	int			 has_recording;
	char			*rec_status;	/* pending, on, off */
	char			*rec_mode;	/* file, stream */
	char			*rec_session;
	char			*rec_failure;	/* busy, error, or NULL */
	char			*rec_initiator;
};

/*
 * Parse st into p.  role_field names where the participant role sits
 * inside <identity>: "group" (the default when NULL) reads
 * <identity><group>, "user/role" reads <identity><user><role>.
 * Returns 0, or -1 when st is not a presence from a MUC occupant
 * (no from, no resource, no room node, nick too long or malformed); p is
 * then cleared and needs no presence_clear().  errstr, when not NULL, gets
 * a static reason for -1 (for debug logs).
 */
int	presence_parse(xmpp_stanza_t *st, const char *role_field,
	    struct presence *p, const char **errstr);

/* Free what presence_parse() copied; p may be cleared or parsed. */
void	presence_clear(struct presence *p);

/* 1 when code is among p's status codes. */
int	presence_has_code(const struct presence *p, int code);

/*
 * The <identity> child of st (Jitsi's JWT identity, as mod_presence_identity
 * puts it): the user id, name and the role at role_field ("group" when
 * NULL, or a path such as "user/role").  Each is NULL when absent, else an
 * owned copy (free()).
 */
void	presence_identity(xmpp_stanza_t *st, const char *role_field, char **id,
	    char **name, char **role);

/*
 * Parse a SourceInfo JSON object (jitsi-xmpp.md §2.2) into m: a kind
 * no key names stays MEDIA_UNKNOWN.  Returns 0, or -1 on malformed JSON
 * (m unchanged).
 */
int	presence_parse_sourceinfo(const char *json, struct media_state *m);

#endif
