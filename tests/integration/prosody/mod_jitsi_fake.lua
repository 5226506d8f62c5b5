-- mod_jitsi_fake: test only.  Plays, on the wire, the parts of Jitsi's
-- Prosody plugins that teletrack's scenarios meet, so CI can run without
-- them (they cannot be downloaded there).  Our own code, written from
-- what the real plugins were seen to send (see the spec notes); it keeps
-- the room fields mod_teletrack reads where Jitsi keeps them.
--
--   lobby      members-only turned on by a moderator opens a lobby room
--              node@lobby_muc (room._data.lobbyroom, lobby.main_room_jid);
--              non-members get 406 displayname-required or 407
--              registration-required with <lobbyroom/>; groupchat
--              json-message lobby-notify LOBBY-ENABLED / -ACCESS-GRANTED
--              (a mediated invite) / -ACCESS-DENIED (a kick in the lobby)
--   breakout   <breakout_rooms type='features/breakout-rooms/add|remove'>
--              to breakout_rooms_muc; main._data.breakout_rooms; the
--              breakout_rooms "update" JSON to every occupant but admins;
--              a removed room is destroyed with <destroy jid='main'>
--   speakerstats  the joiner's snapshot {"type":"speakerstats","users"}
--              from speakerstats.DOMAIN; every joiner but admins gets an
--              entry in room.speakerStats[occupant real JID], as Jitsi's
--   duration   muc#roominfo_created_timestamp once two occupants are in
--   end        <end_conference/> from a moderator destroys the room with
--              "The meeting has been terminated"
--
-- Load on the VirtualHosts (or globally) with:
--   main_muc = "conference.meet.jitsi"; lobby_muc = "lobby.meet.jitsi";
--   breakout_rooms_muc = "breakout.meet.jitsi"
local st = require "util.stanza";
local jid = require "util.jid";
local json = require "util.json";
local now = require "util.time".now;

local NS_JITMEET = "http://jitsi.org/jitmeet";
local NS_MUC = "http://jabber.org/protocol/muc";
local NS_NICK = "http://jabber.org/protocol/nick";

local main_muc = assert(module:get_option_string("main_muc"), "main_muc");
local lobby_muc = assert(module:get_option_string("lobby_muc"), "lobby_muc");
local breakout_muc = assert(module:get_option_string("breakout_rooms_muc"),
    "breakout_rooms_muc");
local admins = module:get_option_inherited_set("admins", {});
local speakerstats_host = "speakerstats." .. module.host;

local function is_admin(j)
	return j ~= nil and admins:contains(jid.bare(j));
end

local function muc(host)
	return prosody.hosts[host] and prosody.hosts[host].modules.muc;
end

local function room_of(room_jid)
	local m = muc(jid.host(room_jid));
	return m and m.get_room_from_jid(jid.bare(room_jid));
end

-- Loaded globally it runs on every VirtualHost: the MUC side is set up
-- once, by the main host (the MUC's parent domain).
local main_host = main_muc:match("^[^.]+%.(.+)$");

local function on_muc(host, fn)
	if module.host ~= main_host then
		return;
	end
	local function go(h)
		if h == host then
			fn(module:context(h), muc(h));
		end
	end
	if muc(host) then
		go(host);
	else
		module:hook_global("host-activated", go, -100);
	end
end

local function json_message(from, to, obj)
	return st.message({ from = from, to = to })
	    :text_tag("json-message", json.encode(obj), { xmlns = NS_JITMEET });
end

local function notify_lobby(room, actor, obj)
	local occupant = actor and room:get_occupant_by_real_jid(actor);
	if not occupant then
		return;
	end
	obj.type = "lobby-notify";
	room:broadcast_message(st.message({ type = "groupchat", from = occupant.nick })
	    :text_tag("json-message", json.encode(obj), { xmlns = NS_JITMEET }));
end

-- Breakout rooms -------------------------------------------------------

local function main_of(breakout)
	for room in muc(main_muc).live_rooms() do
		if room._data.breakout_rooms and room._data.breakout_rooms[breakout.jid] then
			return room;
		end
	end
end

local function participants(room)
	local list = {};
	for nick, o in room:each_occupant() do
		if not is_admin(o.bare_jid) then
			local p = o:get_presence();
			list[nick] = { jid = o.jid, role = o.role,
			    displayName = p and p:get_child_text("nick", NS_NICK) };
		end
	end
	return list;
end

local function broadcast_breakouts(main)
	local node = jid.node(main.jid);
	local rooms = { [node] = { isMainRoom = true, id = node, jid = main.jid,
	    name = main:get_subject(), participants = participants(main) } };
	local targets = { main };
	for bjid, name in pairs(main._data.breakout_rooms or {}) do
		local b = room_of(bjid);
		rooms[jid.node(bjid)] = { id = jid.node(bjid), jid = bjid, name = name,
		    participants = b and participants(b) or {} };
		targets[#targets + 1] = b;
	end
	local obj = { type = "breakout_rooms",
	    event = "features/breakout-rooms/update",
	    roomCounter = main._data.breakout_rooms_counter, rooms = rooms };
	for _, room in ipairs(targets) do
		for _, o in room:each_occupant() do
			if not is_admin(o.bare_jid) then
				module:send(json_message(breakout_muc, o.jid, obj));
			end
		end
	end
end

local function settle(main)
	-- Jitsi throttles its updates; one after the stanza is handled will do.
	if not main.fake_timer then
		main.fake_timer = true;
		module:add_timer(0.2, function ()
			main.fake_timer = nil;
			if room_of(main.jid) == main then
				broadcast_breakouts(main);
			end
		end);
	end
end

on_muc(breakout_muc, function (host_module, m)
	host_module:hook("message/host", function (event)
		local stanza = event.stanza;
		local cmd = stanza:get_child("breakout_rooms");
		if not cmd then
			return;
		end
		local main;
		for room in muc(main_muc).live_rooms() do
			local o = room:get_occupant_by_real_jid(stanza.attr.from);
			if o and o.role == "moderator" then
				main = room;
			end
		end
		if not main then
			return true;
		end
		if cmd.attr.type == "features/breakout-rooms/add" then
			local bjid = ("%08x-fake@%s"):format(math.random(0, 0x7fffffff), breakout_muc);
			main._data.breakout_rooms = main._data.breakout_rooms or {};
			main._data.breakout_rooms_counter = (main._data.breakout_rooms_counter or 0) + 1;
			main._data.breakout_rooms[bjid] = cmd.attr.subject;
			main._data.breakout_rooms_active = true;
			main:set_persistent(true);
		elseif cmd.attr.type == "features/breakout-rooms/remove" then
			local bjid = cmd.attr.breakoutRoomJid;
			local b = room_of(bjid);
			if b then
				b:destroy(main.jid, "Breakout room removed.");
			end
			if main._data.breakout_rooms then
				main._data.breakout_rooms[bjid] = nil;
			end
		end
		settle(main);
		return true;
	end);
	host_module:hook("muc-room-pre-create", function (event)
		local main = main_of(event.room);
		if not main then
			event.origin.send(st.error_reply(event.stanza, "cancel",
			    "not-allowed", "Breakout room is invalid."));
			return true;
		end
		event.room:set_subject(event.room.jid, main._data.breakout_rooms[event.room.jid]);
	end, 200);
	local room_mt = m.room_mt;
	room_mt.get_members_only = function (room)
		local main = main_of(room);
		return main and main:get_members_only() or false;
	end
	room_mt.get_affiliation = function (room, j)
		local main = main_of(room);
		return main and main:get_affiliation(j) or "none";
	end
	for _, name in ipairs({ "muc-occupant-joined", "muc-occupant-left" }) do
		host_module:hook(name, function (event)
			local main = main_of(event.room);
			if main then
				settle(main);
			end
		end);
	end
end);

-- The main MUC: lobby, breakout updates, speaker stats, duration --------

on_muc(main_muc, function (host_module)
	host_module:hook("muc-config-submitted", function (event)
		local room = event.room;
		if is_admin(event.actor) then
			return;
		end
		if event.fields["muc#roomconfig_membersonly"] then
			local lobby_jid = jid.join(jid.node(room.jid), lobby_muc);
			if not room_of(lobby_jid) then
				local lobby = muc(lobby_muc).create_room(lobby_jid);
				lobby:set_persistent(true);
				lobby.main_room_jid = room.jid;
				room._data.lobbyroom = lobby_jid;
				notify_lobby(room, event.actor, { event = "LOBBY-ENABLED", value = true });
			end
		elseif room._data.lobbyroom then
			local lobby = room_of(room._data.lobbyroom);
			room._data.lobbyroom = nil;
			if lobby then
				lobby:set_persistent(false);
				lobby:destroy(room.jid, "Lobby room closed.");
			end
			notify_lobby(room, event.actor, { event = "LOBBY-ENABLED", value = false });
		end
	end);

	host_module:hook("muc-occupant-pre-join", function (event)
		local room, stanza = event.room, event.stanza;
		if not room:get_members_only() or not room._data.lobbyroom or
		    is_admin(stanza.attr.from) then
			return;
		end
		local name = stanza:get_child_text("nick", NS_NICK);
		if not name or name == "" then
			local reply = st.error_reply(stanza, "modify", "not-acceptable");
			reply:get_child("error"):tag("displayname-required",
			    { xmlns = NS_JITMEET, lobby = "true" });
			event.origin.send(reply);
			return true;
		end
		local aff = room:get_affiliation(stanza.attr.from);
		if not aff or aff == "none" then
			local reply = st.error_reply(stanza, "auth", "registration-required");
			reply:get_child("error"):text_tag("lobbyroom", room._data.lobbyroom,
			    { xmlns = NS_JITMEET });
			event.origin.send(reply);
			return true;
		end
	end, -4);

	host_module:hook("muc-invite", function (event)
		local room, stanza = event.room, event.stanza;
		local lobby = room._data.lobbyroom and room_of(room._data.lobbyroom);
		local waiting = lobby and lobby:get_occupant_by_real_jid(stanza.attr.to);
		if waiting then
			local p = waiting:get_presence();
			notify_lobby(room, stanza:get_child("x", NS_MUC .. "#user")
			    :get_child("invite").attr.from, { event = "LOBBY-ACCESS-GRANTED",
			    value = waiting.nick, name = p and p:get_child_text("nick", NS_NICK) });
		end
	end);

	host_module:hook("muc-room-destroyed", function (event)
		local room = event.room;
		for bjid in pairs(room._data.breakout_rooms or {}) do
			local b = room_of(bjid);
			if b then
				b:destroy(room.jid, event.reason);
			end
		end
		local lobby = room._data.lobbyroom and room_of(room._data.lobbyroom);
		if lobby then
			lobby:set_persistent(false);
			lobby:destroy(nil, "Lobby room closed.");
		end
	end, 1);

	host_module:hook("muc-disco#info", function (event)
		table.insert(event.form, { name = "muc#roominfo_created_timestamp",
		    type = "text-single", label = "created",
		    value = event.room.created_timestamp or "" });
	end);

	host_module:hook("muc-occupant-joined", function (event)
		local room, occupant = event.room, event.occupant;
		local n = 0;
		for _ in room:each_occupant() do
			n = n + 1;
		end
		if n > 1 and not room.created_timestamp then
			room.created_timestamp = ("%d"):format(os.time() * 1000);
		end
		if room._data.breakout_rooms_active then
			settle(room);
		end
		if is_admin(occupant.bare_jid) then
			return;
		end
		-- speaker stats: the snapshot, then an entry for the joiner
		room.speakerStats = room.speakerStats or {};
		local users = {};
		for real, s in pairs(room.speakerStats) do
			local total = s.total + (s.since and (now() - s.since) * 1000 or 0);
			if total > 0 or s.since or not room:get_occupant_jid(real) then
				users[s.nick] = { displayName = s.name,
				    totalDominantSpeakerTime = math.floor(total) };
			end
		end
		if next(users) then
			module:send(json_message(speakerstats_host, occupant.jid,
			    { type = "speakerstats", users = users }));
		end
		room.speakerStats[occupant.jid] = { nick = jid.resource(occupant.nick), total = 0 };
	end, -1);

	host_module:hook("muc-occupant-pre-leave", function (event)
		local s = event.room.speakerStats and event.room.speakerStats[event.occupant.jid];
		if s then
			local p = event.occupant:get_presence();
			s.name = p and p:get_child_text("nick", NS_NICK);
			if s.since then
				s.total, s.since = s.total + (now() - s.since) * 1000, nil;
			end
		end
	end, -1);
end);

on_muc(lobby_muc, function (host_module, m)
	m.room_mt.get_affiliation = function (room, j)
		local main = room.main_room_jid and room_of(room.main_room_jid);
		return main and main:get_affiliation(j) or "none";
	end
	host_module:hook("muc-broadcast-presence", function (event)
		local main = event.room.main_room_jid and room_of(event.room.main_room_jid);
		for status in event.x:childtags("status") do
			if status.attr.code == "307" and main then
				local p = event.occupant:get_presence();
				notify_lobby(main, event.actor, { event = "LOBBY-ACCESS-DENIED",
				    value = event.occupant.nick,
				    name = p and p:get_child_text("nick", NS_NICK) });
			end
		end
	end);
end);

-- Clients' messages to components that do not exist here ----------------

module:hook("pre-message/host", function (event)
	local stanza = event.stanza;
	local ss = stanza:get_child("speakerstats", NS_JITMEET);
	if ss then
		local room = room_of(ss.attr.room or "");
		local stats = room and room.speakerStats;
		local me = stats and stats[stanza.attr.from];
		if not me then
			return true;
		end
		for _, s in pairs(stats) do
			if s.since and s ~= me then
				s.total, s.since = s.total + (now() - s.since) * 1000, nil;
			end
		end
		if ss.attr.silence == "true" then
			if me.since then
				me.total, me.since = me.total + (now() - me.since) * 1000, nil;
			end
		elseif not me.since then
			me.since = now();
		end
		return true;
	end
	if stanza:get_child("end_conference") then
		for room in muc(main_muc).live_rooms() do
			local o = room:get_occupant_by_real_jid(stanza.attr.from);
			if o and o.role == "moderator" then
				room:destroy(nil, "The meeting has been terminated");
				return true;
			end
		end
		return true;
	end
end, -10);
