-- mod_teletrack: teletrack's companion module for Prosody 0.12 and 13.
--
-- teletrack observes Jitsi meetings from an account on the hidden domain.
-- This module keeps that observer invisible -- to the people in the room,
-- to focus, and to Jitsi's own server modules -- and keeps it in the
-- meeting through the lobby and breakout rooms.  It tells the observer
-- what a room occupant never sees: dominant-speaker changes, interrupted
-- connections, client IP and User-Agent, knocks in the lobby, moves
-- between breakout rooms, who ended a meeting for everyone, and when
-- people already present really joined.
--
-- Over 800 lines in one file on purpose: Prosody loads a module as one
-- file (Jitsi's own modules are single files too), and its parts share
-- the room, session and observer state kept here.
--
-- Load it once, on the main VirtualHost (like Jitsi's muc_lobby_rooms and
-- muc_breakout_rooms), or globally; it reaches the MUC components itself:
--   VirtualHost "meet.jitsi"
--       modules_enabled = { ...; "teletrack" }
--   teletrack_observers = { "teletrack@hidden.meet.jitsi" }
--   teletrack_muc_component = "conference.meet.jitsi"  -- default: main_muc
--   teletrack_lobby_component = "lobby.meet.jitsi"      -- default: lobby_muc
--   teletrack_breakout_component = "breakout.meet.jitsi"
--                                          -- default: breakout_rooms_muc
--   teletrack_end_conference_component = "endconference.meet.jitsi"
--   teletrack_notify_ip = true              -- false: never send IPs
-- Where participants log in on several VirtualHosts (a guest domain),
-- load it on each (or globally): dominant-speaker and stream-management
-- events are seen on the participant's own host.  The MUC side is set up
-- by the instance on the main host (muc_mapper_domain_base, else the MUC
-- domain minus its first label).
--
-- Every notification is a <message type='headline'> from the conference
-- MUC's own address (a bare domain no client can send from) to each full
-- JID of an observer concerned, carrying one element in urn:teletrack:1
-- (see README.md for all of them).
--
-- With Jitsi's plugins on plugin_paths, Jitsi's util.lib provides the
-- health-check test and the [tenant]room address rewriting; without them
-- (a plain Prosody, our CI) the same built-in rules apply.

local st = require "util.stanza";
local jid = require "util.jid";
local json = require "util.json";
local filters = require "util.filters";
local now = require "util.time".now;
local modulemanager = require "core.modulemanager";

local NS = "urn:teletrack:1";
local NS_MUC_USER = "http://jabber.org/protocol/muc#user";
local NS_NICK = "http://jabber.org/protocol/nick";
local NS_JITMEET = "http://jitsi.org/jitmeet";

if module:get_host_type() == "component" then
	module:log("warn", "mod_teletrack now loads on the VirtualHost only and "
	    .. "reaches the MUC components itself: remove it from the "
	    .. "modules_enabled of component %s", module.host);
	return;
end

-- --------------------------------------------------------------------
-- Options: a missing one is an error at load time, not a silent no-op.
-- --------------------------------------------------------------------
local observers = module:get_option_set("teletrack_observers", {});
local muc_domain = module:get_option_string("teletrack_muc_component",
    module:get_option_string("main_muc"));
local lobby_domain = module:get_option_string("teletrack_lobby_component",
    module:get_option_string("lobby_muc"));
local breakout_domain = module:get_option_string(
    "teletrack_breakout_component", module:get_option_string("breakout_rooms_muc"));
local notify_ip = module:get_option_boolean("teletrack_notify_ip", true);

if observers:empty() then
	error("mod_teletrack: teletrack_observers is not set: list the observer "
	    .. "account(s), e.g. { \"teletrack@hidden.meet.jitsi\" }");
end
if not muc_domain then
	error("mod_teletrack: teletrack_muc_component is not set (nor Jitsi's "
	    .. "main_muc): name the conference MUC, e.g. \"conference.meet.jitsi\"");
end
local main_host = module:get_option_string("muc_mapper_domain_base",
    muc_domain:match("^[^.]+%.(.+)$"));

-- --------------------------------------------------------------------
-- Jitsi's util.lib when present, else the same rules built in.
-- --------------------------------------------------------------------
local ok_util, jitsi = pcall(module.require, module, "util");
if not ok_util or type(jitsi) ~= "table" then
	jitsi = nil;
end

local HEALTH_PREFIX = "__jicofo-health-check";
local is_healthcheck_room = jitsi and jitsi.is_healthcheck_room or
    function (room_jid)
	return room_jid ~= nil and room_jid:sub(1, #HEALTH_PREFIX) == HEALTH_PREFIX;
end

-- An address as a client writes it (room@conference.tenant.meet.jitsi) to
-- the MUC's own ([tenant]room@conference.meet.jitsi).
local room_jid_match_rewrite = jitsi and jitsi.room_jid_match_rewrite or
    function (j) return j; end

-- The other way, for addresses inside notifications: where Jitsi's
-- muc_domain_mapper rewrites what the observer's session receives, the
-- rooms named in notifications must match the presences it sees.
local function public_jid(j)
	if j and jitsi and jitsi.internal_room_jid_match_rewrite and
	    modulemanager.is_loaded(muc_domain, "muc_domain_mapper") then
		return jitsi.internal_room_jid_match_rewrite(j);
	end
	return j;
end

-- process_host_module, Jitsi's pattern for reaching another host: call
-- fn(host_module, host) now if the host is active, else when it becomes
-- active.  Ours is used everywhere (also without Jitsi's util.lib) and its
-- hook goes away when this module unloads.
local function process_host_module(name, fn)
	local function activated(host)
		if host == name then
			fn(module:context(host), host);
		end
	end
	if prosody.hosts[name] then
		activated(name);
	else
		module:log("debug", "waiting for host %s", name);
		module:hook_global("host-activated", activated, -100);
	end
end

-- Call fn(muc, host_module) once mod_muc is loaded on the MUC host name.
local function process_muc(name, fn)
	process_host_module(name, function (host_module, host)
		local muc = prosody.hosts[host].modules.muc;
		if muc then
			fn(muc, host_module);
			return;
		end
		host_module:hook("module-loaded", function (event)
			if event.module == "muc" then
				fn(prosody.hosts[host].modules.muc, host_module);
			end
		end);
	end);
end

-- --------------------------------------------------------------------
-- Observers, rooms, sending.
-- --------------------------------------------------------------------
local function is_observer(j)
	return j ~= nil and observers:contains(jid.bare(j));
end

local function muc_of(host)
	local h = host and prosody.hosts[host];
	return h and h.modules and h.modules.muc;
end

local function get_room(room_jid)
	local muc = muc_of(jid.host(room_jid));
	return muc and muc.get_room_from_jid(jid.bare(room_jid));
end

local function is_focus(occupant)
	return select(3, jid.split(occupant.nick)) == "focus";
end

-- The main room of a breakout room (Jitsi keeps the list of breakout
-- rooms in the main room's _data.breakout_rooms), or nil.
local function main_room_of(room)
	if jid.host(room.jid) ~= breakout_domain then
		return nil;
	end
	local main = room.teletrack_main_jid and get_room(room.teletrack_main_jid);
	if main then
		return main;
	end
	local muc = muc_of(muc_domain);
	if not muc then
		return nil;
	end
	for r in muc.live_rooms() do
		if r._data.breakout_rooms and r._data.breakout_rooms[room.jid] then
			room.teletrack_main_jid = r.jid;
			return r;
		end
	end
	return nil;
end

-- The room a meeting is recorded under: itself, or a breakout room's main.
local function meeting_of(room)
	return main_room_of(room) or room;
end

-- The breakout rooms of a main room that exist now.
local function each_breakout(main)
	local list = {};
	for bjid in pairs(main._data.breakout_rooms or {}) do
		local b = get_room(bjid);
		if b then
			list[#list + 1] = b;
		end
	end
	return ipairs(list);
end

local function breakout_name(main, bjid)
	local names = main and main._data.breakout_rooms;
	return names and type(names[bjid]) == "string" and names[bjid] or nil;
end

-- Send el to each full JID in the set, from the conference MUC's address.
local function send_to(set, el)
	local h = prosody.hosts[muc_domain];
	if not h then
		module:log("warn", "teletrack_muc_component %s is not a host here",
		    muc_domain);
		return;
	end
	for to in pairs(set) do
		module:send(st.message({ from = muc_domain, to = to,
		    type = "headline" }):add_child(st.clone(el)), h);
	end
end

-- Adds the full JIDs of the observers in room to set.
local function add_observers(set, room)
	for _, occupant in room:each_occupant() do
		if is_observer(occupant.bare_jid) then
			for real_jid in occupant:each_session() do
				set[real_jid] = true;
			end
		end
	end
	return set;
end

-- Observers in the room or, for a breakout room, in its main room.
local function observers_of(room)
	local set = add_observers({}, room);
	local main = main_room_of(room);
	if main then
		add_observers(set, main);
	end
	return set;
end

-- Every online session of every observer account.
local function observer_sessions()
	local set = {};
	for bare in observers do
		local node, host = jid.split(bare);
		local h = prosody.hosts[host];
		local user = h and h.sessions and h.sessions[node];
		if user then
			for _, session in pairs(user.sessions) do
				if session.full_jid then
					set[session.full_jid] = true;
				end
			end
		end
	end
	return set;
end

local function note(name, attrs)
	attrs.xmlns = NS;
	return st.stanza(name, attrs);
end

-- Tell the observers of room (and of its main room) about it.
local function notify_room(room, name, attrs)
	local set = observers_of(room);
	if next(set) == nil then
		return;
	end
	attrs.room = public_jid(room.jid);
	send_to(set, note(name, attrs));
end

-- Tell the observers of a meeting (main room) about main.
local function notify_meeting(main, name, attrs, child)
	local set = add_observers({}, main);
	if next(set) == nil then
		return;
	end
	attrs.room = public_jid(main.jid);
	local el = note(name, attrs);
	if child then
		el:add_child(child);
	end
	send_to(set, el);
end

local function nick_of(occupant_jid)
	return occupant_jid and select(3, jid.split(occupant_jid));
end

-- The nick under which real_jid (a full JID) is in room: its own
-- occupant, else an occupant of the same account (a moderator acting from
-- a second device or tab).
local function nick_in(room, real_jid)
	if not room or not real_jid then
		return nil;
	end
	local occupant_jid = room:get_occupant_jid(real_jid);
	if occupant_jid then
		return nick_of(occupant_jid);
	end
	local bare = jid.bare(real_jid);
	for _, o in room:each_occupant() do
		if o.bare_jid == bare then
			return nick_of(o.nick);
		end
	end
	return nil;
end

local function ms(t)
	return string.format("%d", math.floor(t * 1000));
end

-- A refused join: an error the observer can tell from a real refusal.
-- reason: no-room | no-focus | health-check | not-in-meeting
local function refuse(event, etype, condition, reason, text)
	local reply = st.error_reply(event.stanza, etype, condition, text,
	    event.room and event.room.jid);
	reply:get_child("error"):tag("retry", { xmlns = NS, reason = reason }):up();
	event.origin.send(reply);
	module:log("debug", "refused %s joining %s: %s", event.stanza.attr.from,
	    event.stanza.attr.to, reason);
	return true;
end

-- The JWT identity of a session (Jitsi's token auth stores context.user
-- and context.group on it) as <identity><user>...</user><group/></identity>,
-- the shape of Jitsi's presence identity; nil without a token.
local function session_identity(session)
	local user = session and session.jitsi_meet_context_user;
	if type(user) ~= "table" then
		return nil;
	end
	local el = st.stanza("identity"):tag("user");
	for k, v in pairs(user) do
		if type(k) == "string" and k:match("^[%a_][%w%-%._]*$") and
		    (type(v) == "string" or type(v) == "number" or
		    type(v) == "boolean") then
			el:text_tag(k, tostring(v));
		end
	end
	el:up();
	local group = session.jitsi_meet_context_group;
	if type(group) == "string" then
		el:text_tag("group", group);
	end
	return el;
end

-- --------------------------------------------------------------------
-- The MUC side (set up once, by the main host's instance).
-- --------------------------------------------------------------------

-- Join times: when a join presence first reached the MUC (it may wait in
-- muc_rate_limit's or muc_meeting_id's queue) and when Prosody admitted
-- the occupant.  Kept per room, by nick.
local function stamp_arrival(event)
	local stanza = event.stanza;
	if stanza and not stanza.teletrack_arrived then
		-- The queues replay this same stanza table, so the first
		-- arrival survives the wait.
		stanza.teletrack_arrived = now();
	end
end

local function joined_note(room, occupant, to_set)
	local t = room.teletrack_joined and room.teletrack_joined[occupant.nick];
	if not t then
		return nil;
	end
	local attrs = { xmlns = NS, room = public_jid(room.jid),
	    nick = nick_of(occupant.nick), at_ms = ms(t.at) };
	if t.queued and t.queued >= 0.5 then
		attrs.queued_ms = ms(t.queued);
	end
	send_to(to_set, st.stanza("joined", attrs));
end

local function client_info(room, occupant)
	if is_focus(occupant) or is_observer(occupant.bare_jid) then
		return;
	end
	local session = prosody.full_sessions[occupant.jid];
	if not session then
		return;
	end
	local ua = session.user_agent_header;
	if not ua and session.websocket_request then
		ua = session.websocket_request.headers.user_agent;
	end
	local attrs = { nick = nick_of(occupant.nick), ua = ua };
	if notify_ip then
		attrs.ip = session.ip;
	end
	notify_room(room, "client", attrs);
end

-- Only observers (and no people) left in a room: destroy it, so the
-- conference ends as it would without them.  A main room whose breakout
-- rooms still hold people stays.
local function only_observers_left(room)
	local hidden = 0;
	for _, occupant in room:each_occupant() do
		if not is_observer(occupant.bare_jid) then
			return false;
		end
		hidden = hidden + 1;
	end
	if hidden == 0 then
		return false;
	end
	for _, b in each_breakout(room) do
		for _, occupant in b:each_occupant() do
			if not is_observer(occupant.bare_jid) then
				return false;
			end
		end
	end
	return true;
end

-- Pending moves between a meeting's rooms, by the mover's full JID:
-- { main = main room JID, from = room JID, from_name, at, reason }.
local moving = {};
local MOVE_TTL = 60;

local function start_move(real_jid, room, reason)
	local t = now();
	for k, m in pairs(moving) do
		if t - m.at > MOVE_TTL then
			moving[k] = nil;
		end
	end
	local main = meeting_of(room);
	moving[real_jid] = { main = main.jid, from = room.jid,
	    from_name = breakout_name(main, room.jid), at = t, reason = reason };
end

-- What module.unload puts back.
local restorers = {};

local function set_up_room_hiding(muc, host_module, kind)
	local host = host_module.host;

	-- Never create a room: with restrict_room_creation off the observer
	-- would become its owner, and focus would miss its 201.
	host_module:hook("muc-room-pre-create", function (event)
		if not is_observer(event.stanza.attr.from) then
			return;
		end
		if is_healthcheck_room(event.room.jid) then
			return refuse(event, "cancel", "not-allowed", "health-check",
			    "teletrack: health-check rooms are not observed");
		end
		return refuse(event, "wait", "item-not-found", "no-room",
		    "teletrack: the room does not exist (yet); observers never create rooms");
	end, 200);

	host_module:hook("muc-occupant-pre-join", function (event)
		stamp_arrival(event);
		local room, stanza = event.room, event.stanza;
		if not is_observer(stanza.attr.from) then
			return;
		end
		if is_healthcheck_room(room.jid) then
			return refuse(event, "cancel", "not-allowed", "health-check",
			    "teletrack: health-check rooms are not observed");
		end
		-- muc_meeting_id holds every join that comes before focus in
		-- a queue, silently; refuse instead, to be retried.
		if room._data.jicofo_lock ~= false and
		    modulemanager.is_loaded(host, "muc_meeting_id") then
			return refuse(event, "wait", "recipient-unavailable", "no-focus",
			    "teletrack: focus has not joined yet");
		end
		if kind == "breakout" then
			local main = main_room_of(room);
			if not main or not main:get_occupant_by_real_jid(stanza.attr.from) then
				return refuse(event, "cancel", "not-allowed", "not-in-meeting",
				    "teletrack: join the main room first");
			end
			-- Jitsi's breakout module admits a session into the
			-- breakout rooms of the main room it joined last; the
			-- observer's one session is in many main rooms.
			event.origin.jitsi_breakout_main_jid = main.jid;
		end
		-- Lobby rooms need a display name; the observer's presence is
		-- never broadcast, so one is harmless.
		if not stanza:get_child("nick", NS_NICK) then
			stanza:text_tag("nick", jid.node(stanza.attr.from) or "observer",
			    { xmlns = NS_NICK });
		end
	end, 200);

	-- The observer joins as a visitor, and visitors' presence is not
	-- broadcast in its rooms (XEP-0045 presence broadcast, the mechanism
	-- Jitsi's visitor nodes use).  Low priority: after other pre-join
	-- hooks (mod_muc_allowners, the lobby's whitelist) have set the role.
	host_module:hook("muc-occupant-pre-join", function (event)
		local occupant, room = event.occupant, event.room;
		if not is_observer(occupant.bare_jid) then
			return;
		end
		occupant.role = "visitor";
		local roles = room:get_presence_broadcast();
		if roles.visitor then
			room:set_presence_broadcast({ participant = true;
			    moderator = true });
		end
		module:log("debug", "%s observes %s hidden", occupant.bare_jid,
		    room.jid);
	end, -100);

	-- Nothing can make it visible: refuse any role but visitor (or none,
	-- a kick, which hides it as well) and any affiliation change (an
	-- upgrade would make it a participant; for an observer not in the
	-- room Prosody would announce its JID to the whole room).
	host_module:hook("muc-pre-set-role", function (event)
		if event.occupant and is_observer(event.occupant.bare_jid) and
		    event.role ~= "visitor" and event.role ~= nil and
		    event.role ~= "none" then
			event.allowed = false;
			event.error = "cancel";
			event.condition = "not-allowed";
			return true;
		end
	end, 100);

	host_module:hook("muc-pre-set-affiliation", function (event)
		if is_observer(event.jid) then
			event.allowed = false;
			event.error = { type = "cancel", condition = "not-allowed" };
			return true;
		end
	end, 100);

	-- Whatever the observer would say in a room is dropped.
	host_module:hook("muc-occupant-groupchat", function (event)
		if is_observer(event.from) or (event.occupant and
		    is_observer(event.occupant.bare_jid)) then
			module:log("debug", "dropped groupchat from observer %s",
			    event.from);
			return true;
		end
	end, 100);

	host_module:hook("muc-private-message", function (event)
		if is_observer(event.origin and event.origin.full_jid) then
			module:log("debug", "dropped private message from observer");
			return false;
		end
	end, 100);

	-- muc#roominfo_occupants counts people, not the observer.
	host_module:hook("muc-disco#info", function (event)
		if not event.formdata then
			return;
		end
		local n = 0;
		for _, occupant in event.room:each_occupant() do
			if not is_observer(occupant.bare_jid) then
				n = n + 1;
			end
		end
		event.formdata["muc#roominfo_occupants"] = tostring(n);
	end, -10);

	-- Members-only rooms (the lobby) admit members; to Prosody and Jitsi
	-- the observer counts as one there -- never stored, never listed,
	-- never announced.  Enabling the lobby then keeps it (no 322) and a
	-- rejoin passes.  Jitsi's breakout rooms ask the main room's.
	local room_mt = muc.room_mt;
	local orig_get_affiliation = room_mt.get_affiliation;
	room_mt.get_affiliation = function (room, j)
		local aff = orig_get_affiliation(room, j);
		if (aff == nil or aff == "none") and is_observer(j) and
		    room:get_members_only() then
			return "member";
		end
		return aff;
	end
	table.insert(restorers, function ()
		if room_mt.get_affiliation ~= orig_get_affiliation then
			room_mt.get_affiliation = orig_get_affiliation;
		end
	end);

	-- Join times and what Jitsi's modules record when the observer joins.
	host_module:hook("muc-occupant-joined", function (event)
		local room, occupant, stanza = event.room, event.occupant, event.stanza;
		local t = now();
		local arrived = stanza and stanza.teletrack_arrived or t;
		room.teletrack_joined = room.teletrack_joined or {};
		room.teletrack_joined[occupant.nick] = { at = t, queued = t - arrived };
		-- mod_conference_duration stamps the meeting's start when the
		-- room first holds two occupants; the observer is not one.
		event.teletrack_created_before = room.created_timestamp or false;
	end, 10);

	host_module:hook("muc-occupant-joined", function (event)
		local room, occupant = event.room, event.occupant;
		if is_observer(occupant.bare_jid) then
			-- mod_speakerstats_component made an entry for it (it
			-- would be listed to every later joiner once the
			-- observer leaves); the observer never speaks.
			if room.speakerStats then
				room.speakerStats[occupant.jid] = nil;
			end
			if event.teletrack_created_before == false then
				room.created_timestamp = nil;
			end
			-- A late observer learns about everyone already here.
			local me = {};
			for real_jid in occupant:each_session() do
				me[real_jid] = true;
			end
			for _, o in room:each_occupant() do
				if o.nick ~= occupant.nick and not is_observer(o.bare_jid) then
					joined_note(room, o, me);
					if kind == "main" then
						client_info(room, o);
					end
				end
			end
			return;
		end
		if kind == "main" then
			client_info(room, occupant);
		end
		local t = room.teletrack_joined and room.teletrack_joined[occupant.nick];
		if t and t.queued >= 0.5 then
			joined_note(room, occupant, observers_of(room));
		end
	end, -10);

	host_module:hook("muc-occupant-left", function (event)
		local room = event.room;
		if room.teletrack_joined then
			room.teletrack_joined[event.occupant.nick] = nil;
		end
		if room.destroying then
			return;
		end
		if only_observers_left(room) then
			module:log("debug", "%s: only observers left, destroying",
			    room.jid);
			room:destroy(nil, "Only hidden observers left");
		end
	end, 10);
end

-- Moves between a meeting's rooms: a leave with status switch_room (or
-- a breakout room being closed) and a join of the same session into
-- another room of the same meeting.
local function set_up_moves(host_module)
	host_module:hook("muc-occupant-pre-leave", function (event)
		local room, occupant, stanza = event.room, event.occupant, event.stanza;
		if is_observer(occupant.bare_jid) or not stanza or
		    stanza:get_child_text("status") ~= "switch_room" then
			return;
		end
		for real_jid in occupant:each_session() do
			start_move(real_jid, room, "switch_room");
		end
	end, 20);

	host_module:hook("muc-occupant-joined", function (event)
		local room, occupant = event.room, event.occupant;
		if is_observer(occupant.bare_jid) then
			return;
		end
		local real_jid = event.origin and event.origin.full_jid or occupant.jid;
		local m = moving[real_jid];
		if not m then
			return;
		end
		moving[real_jid] = nil;
		local main = meeting_of(room);
		if now() - m.at > MOVE_TTL or m.main ~= main.jid or m.from == room.jid then
			return;
		end
		notify_meeting(main, "breakout", {
			event = "move";
			nick = nick_of(occupant.nick);
			jid = real_jid;
			from = public_jid(m.from);
			from_name = m.from_name;
			to = public_jid(room.jid);
			to_name = breakout_name(main, room.jid);
			reason = m.reason;
		});
	end, -20);
end

local function set_up_main(muc, host_module)
	set_up_room_hiding(muc, host_module, "main");
	set_up_moves(host_module);

	-- The observer finds the module by this feature of the MUC's
	-- disco#info; Prosody lists the features of modules loaded on that
	-- host, so it is mod_muc that announces it.
	local muc_env = modulemanager.get_module(host_module.host, "muc");
	local muc_module = muc_env and muc_env.module;
	if muc_module then
		muc_module:add_feature(NS);
		table.insert(restorers, function ()
			muc_module:remove_item("feature", NS);
		end);
	end

	local function room_note(event_name)
		return function (event)
			if is_healthcheck_room(event.room.jid) then
				return;
			end
			local set = observer_sessions();
			if next(set) == nil then
				return;
			end
			send_to(set, note("room", { event = event_name,
			    jid = public_jid(event.room.jid),
			    reason = event_name == "destroyed" and event.reason or nil }));
		end
	end
	host_module:hook("muc-room-created", room_note("created"));
	host_module:hook("muc-room-destroyed", room_note("destroyed"));

	-- end_conference destroys the room with a fixed reason and no actor;
	-- the request was seen on the moderator's host (below).  Sent before
	-- the destroy presences go out.
	host_module:hook("muc-pre-room-destroy", function (event)
		local room = event.room;
		local e = room.teletrack_ending;
		room.teletrack_ending = nil;
		if not e or now() - e.at > 10 then
			return;
		end
		notify_meeting(room, "ended", { nick = e.nick, jid = e.jid,
		    reason = event.reason });
	end, -10);

	-- Lobby admissions: a moderator's mediated invite for the real JID of
	-- someone waiting in the lobby room (lib-jitsi-meet's approveAccess).
	host_module:hook("muc-invite", function (event)
		local room, stanza = event.room, event.stanza;
		local lobby = room._data.lobbyroom and get_room(room._data.lobbyroom);
		if not lobby then
			return;
		end
		local invitee = stanza.attr.to;
		local waiting = lobby:get_occupant_by_real_jid(invitee);
		if not waiting then
			return;
		end
		local x = stanza:get_child("x", NS_MUC_USER);
		local inv = x and x:get_child("invite");
		local actor = inv and inv.attr.from;
		lobby.teletrack_outcome = lobby.teletrack_outcome or {};
		lobby.teletrack_outcome[waiting.nick] = "admitted";
		notify_meeting(room, "lobby", {
			event = "admitted";
			nick = nick_of(waiting.nick);
			jid = invitee;
			by = nick_in(room, actor);
		});
	end, 10);
end

local function set_up_breakout(muc, host_module)
	set_up_room_hiding(muc, host_module, "breakout");
	set_up_moves(host_module);

	-- fn(event, room, main) on the event of a room that is a breakout
	-- room of a meeting (main: the meeting's main room); other rooms of
	-- the component are not ours.
	local function hook_breakout(name, fn, priority)
		host_module:hook(name, function (event)
			local main = main_room_of(event.room);
			if main then
				fn(event, event.room, main);
			end
		end, priority);
	end

	hook_breakout("muc-room-created", function (_, room, main)
		notify_meeting(main, "breakout", { event = "opened",
		    jid = public_jid(room.jid), name = breakout_name(main, room.jid) });
	end);

	-- A breakout room closed by a moderator sends its people back to the
	-- main room (<destroy jid='main'>): they are moving, not leaving.
	hook_breakout("muc-pre-room-destroy", function (event, room, main)
		for _, occupant in room:each_occupant() do
			if not is_observer(occupant.bare_jid) then
				for real_jid in occupant:each_session() do
					start_move(real_jid, room, "closed");
				end
			end
		end
		notify_meeting(main, "breakout", { event = "closed",
		    jid = public_jid(room.jid), name = breakout_name(main, room.jid),
		    reason = event.reason });
	end, -10);
end

-- The lobby: knocks are presence in a room of the lobby component that
-- only the main room's owners receive.  The observer never joins it; it
-- is told instead.
local function set_up_lobby(muc, host_module)
	local function main_of(lobby)
		local main_jid = lobby.main_room_jid or
		    jid.join(jid.node(lobby.jid), muc_domain);
		return get_room(main_jid);
	end

	-- Moderators watching the lobby (owners, in the meeting already,
	-- maybe from another device) are not knocking.
	local function in_meeting(main, real_jid)
		local bare = jid.bare(real_jid);
		if main:get_affiliation(bare) == "owner" then
			return true;
		end
		local function present(room)
			for _, o in room:each_occupant() do
				if o.bare_jid == bare then
					return true;
				end
			end
			return false;
		end
		if present(main) then
			return true;
		end
		for _, b in each_breakout(main) do
			if present(b) then
				return true;
			end
		end
		return false;
	end

	host_module:hook("muc-occupant-pre-join", function (event)
		stamp_arrival(event);
		if is_observer(event.stanza.attr.from) then
			return refuse(event, "cancel", "not-allowed", "not-in-meeting",
			    "teletrack: observers do not join lobby rooms");
		end
	end, 200);

	host_module:hook("muc-occupant-joined", function (event)
		local lobby, occupant = event.room, event.occupant;
		local main = main_of(lobby);
		if not main or in_meeting(main, occupant.jid) then
			return;
		end
		lobby.teletrack_knocks = lobby.teletrack_knocks or {};
		lobby.teletrack_knocks[occupant.nick] = occupant.jid;
		local presence = occupant:get_presence();
		notify_meeting(main, "lobby", {
			event = "join";
			nick = nick_of(occupant.nick);
			jid = occupant.jid;
			name = presence and presence:get_child_text("nick", NS_NICK);
		}, session_identity(prosody.full_sessions[occupant.jid]));
	end, -10);

	-- A denial is a kick (307) out of the lobby room by a moderator.
	host_module:hook("muc-broadcast-presence", function (event)
		local lobby, occupant, x = event.room, event.occupant, event.x;
		if not (lobby.teletrack_knocks and lobby.teletrack_knocks[occupant.nick]) then
			return;
		end
		local kicked = false;
		for status in x:childtags("status") do
			if status.attr.code == "307" then
				kicked = true;
			end
		end
		if not kicked then
			return;
		end
		local main = main_of(lobby);
		if not main then
			return;
		end
		lobby.teletrack_outcome = lobby.teletrack_outcome or {};
		lobby.teletrack_outcome[occupant.nick] = "denied";
		notify_meeting(main, "lobby", {
			event = "denied";
			nick = nick_of(occupant.nick);
			jid = lobby.teletrack_knocks[occupant.nick];
			by = nick_in(main, event.actor);
		});
	end);

	host_module:hook("muc-occupant-left", function (event)
		local lobby, occupant = event.room, event.occupant;
		local knocks = lobby.teletrack_knocks;
		local real_jid = knocks and knocks[occupant.nick];
		if not real_jid then
			return;
		end
		knocks[occupant.nick] = nil;
		local outcome = lobby.teletrack_outcome and lobby.teletrack_outcome[occupant.nick];
		if lobby.teletrack_outcome then
			lobby.teletrack_outcome[occupant.nick] = nil;
		end
		-- The lobby room destroyed while people wait: the lobby was
		-- turned off (they are let in) or the meeting ended.
		local reason = outcome or (lobby.destroying and "closed") or "left";
		local main = main_of(lobby);
		if main then
			notify_meeting(main, "lobby", { event = "leave",
			    nick = nick_of(occupant.nick), jid = real_jid,
			    reason = reason });
		end
	end, -10);
end

-- Jitsi's breakout_rooms JSON lists every occupant that is not a server
-- admin; take the observers out of the copies clients receive.
local function filter_breakout_json(stanza, session)
	if stanza.name ~= "message" or stanza.attr.from ~= breakout_domain or
	    not session or is_observer(session.full_jid) then
		return stanza;
	end
	local jm = stanza:get_child("json-message", NS_JITMEET);
	local text = jm and jm:get_text();
	if not text or not text:find("breakout_rooms", 1, true) then
		return stanza;
	end
	local found = false;
	for bare in observers do
		if text:find(bare, 1, true) then
			found = true;
		end
	end
	if not found then
		return stanza;
	end
	local data = json.decode(text);
	if type(data) ~= "table" or type(data.rooms) ~= "table" then
		return stanza;
	end
	for _, r in pairs(data.rooms) do
		if type(r) == "table" and type(r.participants) == "table" then
			for key, p in pairs(r.participants) do
				if type(p) == "table" and is_observer(p.jid) then
					r.participants[key] = nil;
				end
			end
		end
	end
	local copy = st.clone(stanza);
	copy:remove_children("json-message", NS_JITMEET);
	copy:text_tag("json-message", json.encode(data), { xmlns = NS_JITMEET });
	return copy;
end

local function filter_session(session)
	filters.add_filter(session, "stanzas/out", filter_breakout_json, -2);
end

-- /room-census (Jitsi's muc_census on this host) counts every occupant
-- but focus; subtract the observers from what it answers.
local function census_wrap(event)
	local response = event.response;
	local send = response.send;
	response.send = function (self, body)
		local data = type(body) == "string" and json.decode(body);
		if type(data) == "table" and type(data.room_census) == "table" then
			local changed = false;
			for _, r in ipairs(data.room_census) do
				local room = type(r) == "table" and r.room_name and
				    get_room(r.room_name);
				if room and type(r.participants) == "number" then
					local n = 0;
					for _, o in room:each_occupant() do
						if is_observer(o.bare_jid) then
							n = n + 1;
						end
					end
					if n > 0 then
						r.participants = r.participants - n;
						changed = true;
					end
				end
			end
			if changed then
				body = json.encode(data);
			end
		end
		return send(self, body);
	end
end

-- --------------------------------------------------------------------
-- The participants' side: what their sessions do on this host.
-- --------------------------------------------------------------------

-- The room and nick of a full JID, for every conference and breakout
-- room it is in.
local function each_occupancy(full_jid, f)
	if not full_jid then
		return;
	end
	for _, host in ipairs({ muc_domain, breakout_domain }) do
		local muc = muc_of(host);
		if muc then
			for room in muc.live_rooms() do
				local occupant_jid = room:get_occupant_jid(full_jid);
				if occupant_jid then
					f(room, nick_of(occupant_jid));
				end
			end
		end
	end
end

-- A moderator ending the meeting for everyone (lib-jitsi-meet's
-- <end_conference/> to Jitsi's end_conference component, which destroys
-- the room with a fixed reason and no actor): remember who, for the
-- room's destruction that follows.
local function end_requested(event)
	local stanza, session = event.stanza, event.origin;
	local room;
	if session and session.jitsi_web_query_room and jitsi and
	    jitsi.get_room_by_name_and_subdomain then
		room = jitsi.get_room_by_name_and_subdomain(
		    session.jitsi_web_query_room, session.jitsi_web_query_prefix);
	end
	if not room then
		each_occupancy(stanza.attr.from, function (r)
			if not room and jid.host(r.jid) == muc_domain then
				room = r;
			end
		end);
	end
	local occupant = room and room:get_occupant_by_real_jid(stanza.attr.from);
	if occupant and occupant.role == "moderator" then
		room.teletrack_ending = { nick = nick_of(occupant.nick),
		    jid = stanza.attr.from, at = now() };
	end
end

-- A client that becomes dominant speaker tells the speakerstats
-- component (never the room).  pre-message/host fires on the sender's
-- host whether or not that component exists.
module:hook("pre-message/host", function (event)
	local stanza = event.stanza;
	local ss = stanza:get_child("speakerstats", NS_JITMEET);
	if ss and ss.attr.room then
		local room = get_room(room_jid_match_rewrite(jid.bare(ss.attr.room)));
		local occupant_jid = room and room:get_occupant_jid(stanza.attr.from);
		if occupant_jid then
			notify_room(room, "speaker", {
				nick = nick_of(occupant_jid);
				silence = ss.attr.silence == "true" and "true" or "false";
			});
		end
		return;
	end
	if stanza:get_child("end_conference") then
		end_requested(event);
	end
end, 10);

module:hook("smacks-hibernation-start", function (event)
	local session = event.origin;
	session.teletrack_hibernating_since = now();
	each_occupancy(session.full_jid, function (room, nick)
		notify_room(room, "connection", { nick = nick,
		    state = "interrupted" });
	end);
end);

module:hook("smacks-hibernation-end", function (event)
	local session = event.resumed or event.origin;
	local since = session.teletrack_hibernating_since;
	session.teletrack_hibernating_since = nil;
	local duration = since and math.floor((now() - since) * 1000) or 0;
	each_occupancy(session.full_jid, function (room, nick)
		notify_room(room, "connection", { nick = nick,
		    state = "restored", duration_ms = tostring(duration) });
	end);
end);

-- --------------------------------------------------------------------
-- Setting up: the MUC side once, by the main host's instance.
-- --------------------------------------------------------------------
if module.host == main_host then
	process_muc(muc_domain, set_up_main);
	if breakout_domain then
		process_muc(breakout_domain, set_up_breakout);
		filters.add_filter_hook(filter_session);
	end
	if lobby_domain then
		process_muc(lobby_domain, set_up_lobby);
	end
	-- The request also reaches the end_conference component, from
	-- participants of any VirtualHost.
	process_host_module(module:get_option_string(
	    "teletrack_end_conference_component", "endconference." .. main_host),
	    function (host_module)
		host_module:hook("message/host", function (event)
			if event.stanza:get_child("end_conference") then
				end_requested(event);
			end
		end, 10);
	end);
	local census_path = (module:get_option("http_paths", {}).muc_census or "/")
	    :gsub("/*$", "") .. "/room-census";
	module:hook_object_event(require "net.http.server",
	    "GET " .. main_host .. census_path, census_wrap, 10);
	module:log("info", "observing %s%s%s for %s (Jitsi util.lib %s)",
	    muc_domain, lobby_domain and ", lobby " .. lobby_domain or "",
	    breakout_domain and ", breakout " .. breakout_domain or "",
	    tostring(observers), jitsi and "found" or "absent");
end

function module.unload()
	for _, restore in ipairs(restorers) do
		restore();
	end
	if breakout_domain then
		filters.remove_filter_hook(filter_session);
	end
end
