-- mod_teletrack: teletrack's companion module for Prosody 0.12 and 13.
--
-- teletrack observes Jitsi meetings from an account on the hidden domain.
-- This module makes that observer invisible to everyone in the room (focus
-- included) and tells it what a room occupant never sees: dominant-speaker
-- changes, stream-management interruptions, the client's IP and
-- User-Agent, and rooms being created and destroyed.
--
-- Load it twice, like Jitsi's own two-sided modules:
--   modules_enabled = { ...; "teletrack" }        -- global: every VirtualHost
--   Component "conference.meet.jitsi" "muc"
--       modules_enabled = { ...; "teletrack" }    -- the conference MUC
--   teletrack_observers = { "teletrack@hidden.meet.jitsi" }
--   teletrack_muc_component = "conference.meet.jitsi"
--   teletrack_notify_ip = true                     -- false: never send IPs
--
-- Every notification is a <message type='headline'> from the MUC
-- component's own address (a bare domain no client can send from) to each
-- full JID of an observer that is in the room concerned, carrying one
-- element in the urn:teletrack:1 namespace:
--   <speaker room='r@conference' nick='n' silence='false'/>
--   <connection room nick state='interrupted'/>
--   <connection room nick state='restored' duration_ms='4021'/>
--   <client room nick ip='…' ua='…'/>
--   <room event='created|destroyed' jid='r@conference'/>  (to every
--                                               online observer session)

local st = require "util.stanza";
local jid = require "util.jid";
local now = require "util.time".now;

local NS = "urn:teletrack:1";
local observers = module:get_option_set("teletrack_observers", {});
local muc_domain = module:get_option_string("teletrack_muc_component");
local notify_ip = module:get_option_boolean("teletrack_notify_ip", true);

local function is_observer(j)
	return j ~= nil and observers:contains(jid.bare(j));
end

-- The MUC component's host object and module environment, looked up
-- lazily: the component may load after the VirtualHosts.
local function muc_host()
	return muc_domain and prosody.hosts[muc_domain];
end

local function muc_module()
	local h = muc_host();
	return h and h.modules and h.modules.muc;
end

-- Send el to each full JID in list, from the MUC component's address.
local function send_to(list, el)
	local h = muc_host();
	if not h then
		module:log("warn", "teletrack_muc_component %s is not a host here",
		    tostring(muc_domain));
		return;
	end
	for _, to in ipairs(list) do
		local msg = st.message({ from = muc_domain, to = to,
		    type = "headline" }):add_child(st.clone(el));
		module:send(msg, h);
	end
end

-- Full JIDs of the observers in room.
local function observers_in(room)
	local list = {};
	for _, occupant in room:each_occupant() do
		if is_observer(occupant.bare_jid) then
			for real_jid in occupant:each_session() do
				list[#list + 1] = real_jid;
			end
		end
	end
	return list;
end

-- Every online session of every observer account.
local function observer_sessions()
	local list = {};
	for bare in observers do
		local node, host = jid.split(bare);
		local h = prosody.hosts[host];
		local user = h and h.sessions and h.sessions[node];
		if user then
			for _, session in pairs(user.sessions) do
				if session.full_jid then
					list[#list + 1] = session.full_jid;
				end
			end
		end
	end
	return list;
end

local function notify_room(room, name, attrs)
	local list = observers_in(room);
	if #list == 0 then return; end
	attrs.xmlns = NS;
	attrs.room = room.jid;
	send_to(list, st.stanza(name, attrs));
end

-- The room and nick of a full JID, for every room it is in.
local function each_occupancy(full_jid, f)
	local muc = muc_module();
	if not muc or not full_jid then return; end
	for room in muc.live_rooms() do
		local occupant_jid = room:get_occupant_jid(full_jid);
		if occupant_jid then
			f(room, select(3, jid.split(occupant_jid)));
		end
	end
end

if module:get_host_type() == "component" then
	-- ---------------------------------------------------------------
	-- The MUC side: hiding, lifecycle, client facts.
	-- ---------------------------------------------------------------
	module:add_feature(NS);

	-- The observer joins as a visitor, and visitors' presence is not
	-- broadcast in its rooms (XEP-0045 presence broadcast, the mechanism
	-- Jitsi's visitor nodes use).  Low priority: after other pre-join
	-- hooks, e.g. mod_muc_allowners, have set the role.
	module:hook("muc-occupant-pre-join", function (event)
		local occupant, room = event.occupant, event.room;
		if not is_observer(occupant.bare_jid) then return; end
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
	-- a kick, which hides it as well) and any affiliation change.
	module:hook("muc-pre-set-role", function (event)
		if event.occupant and is_observer(event.occupant.bare_jid) and
		    event.role ~= "visitor" and event.role ~= nil and
		    event.role ~= "none" then
			event.allowed = false;
			event.error = "cancel";
			event.condition = "not-allowed";
			return true;
		end
	end, 100);

	module:hook("muc-pre-set-affiliation", function (event)
		if is_observer(event.jid) then
			event.allowed = false;
			event.error = { type = "cancel", condition = "not-allowed" };
			return true;
		end
	end, 100);

	-- Whatever the observer would say in a room is dropped.
	module:hook("muc-occupant-groupchat", function (event)
		if is_observer(event.from) or (event.occupant and
		    is_observer(event.occupant.bare_jid)) then
			module:log("debug", "dropped groupchat from observer %s",
			    event.from);
			return true;
		end
	end, 100);

	module:hook("muc-private-message", function (event)
		if is_observer(event.origin and event.origin.full_jid) then
			module:log("debug", "dropped private message from observer");
			return false;
		end
	end, 100);

	-- Destroy the room once only observers remain (stock Prosody keeps a
	-- room while anyone, an observer included, is in it).
	module:hook("muc-occupant-left", function (event)
		local room = event.room;
		if room.destroying then return; end
		local others, hidden = 0, 0;
		for _, occupant in room:each_occupant() do
			if is_observer(occupant.bare_jid) then
				hidden = hidden + 1;
			else
				others = others + 1;
			end
		end
		if others == 0 and hidden > 0 then
			module:log("debug", "%s: only observers left, destroying",
			    room.jid);
			room:destroy(nil, "Only hidden observers left");
		end
	end, 10);

	-- muc#roominfo_occupants counts people, not the observer.
	module:hook("muc-disco#info", function (event)
		if not event.formdata then return; end
		local n = 0;
		for _, occupant in event.room:each_occupant() do
			if not is_observer(occupant.bare_jid) then n = n + 1; end
		end
		event.formdata["muc#roominfo_occupants"] = tostring(n);
	end, -10);

	local function client_info(room, occupant)
		local nick = select(3, jid.split(occupant.nick));
		if nick == "focus" or is_observer(occupant.bare_jid) then return; end
		local session = prosody.full_sessions[occupant.jid];
		if not session then return; end
		local ua = session.user_agent_header;
		if not ua and session.websocket_request then
			ua = session.websocket_request.headers.user_agent;
		end
		local attrs = { nick = nick, ua = ua };
		if notify_ip then attrs.ip = session.ip; end
		notify_room(room, "client", attrs);
	end

	module:hook("muc-occupant-joined", function (event)
		local room, occupant = event.room, event.occupant;
		if is_observer(occupant.bare_jid) then
			-- A late observer learns about everyone already here.
			for _, o in room:each_occupant() do
				if o.nick ~= occupant.nick then client_info(room, o); end
			end
			return;
		end
		client_info(room, occupant);
	end);

	local function room_note(event_name)
		return function (event)
			local list = observer_sessions();
			if #list == 0 then return; end
			send_to(list, st.stanza("room", { xmlns = NS,
			    event = event_name, jid = event.room.jid }));
		end
	end
	module:hook("muc-room-created", room_note("created"));
	module:hook("muc-room-destroyed", room_note("destroyed"));
else
	-- ---------------------------------------------------------------
	-- The VirtualHost side: what the participants' sessions do.
	-- ---------------------------------------------------------------

	-- A client that becomes dominant speaker tells the speakerstats
	-- component (never the room).  pre-message/host fires on the
	-- sender's host whether or not that component exists.
	module:hook("pre-message/host", function (event)
		local stanza = event.stanza;
		local ss = stanza:get_child("speakerstats", "http://jitsi.org/jitmeet");
		if not ss or not ss.attr.room then return; end
		local muc = muc_module();
		local room = muc and muc.get_room_from_jid(jid.bare(ss.attr.room));
		if not room then return; end
		local occupant_jid = room:get_occupant_jid(stanza.attr.from);
		if not occupant_jid then return; end
		notify_room(room, "speaker", {
			nick = select(3, jid.split(occupant_jid));
			silence = ss.attr.silence == "true" and "true" or "false";
		});
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
		local ms = since and math.floor((now() - since) * 1000) or 0;
		each_occupancy(session.full_jid, function (room, nick)
			notify_room(room, "connection", { nick = nick,
			    state = "restored", duration_ms = tostring(ms) });
		end);
	end);
end
