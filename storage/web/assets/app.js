/*
 * teletrack dashboard.  The pages are complete without this script; it
 * only keeps the Now view live: every few seconds it fetches the same
 * page from the same server and swaps in the new <main>.  The server has
 * already escaped every name in that HTML, and nothing here builds
 * markup from strings.
 */
(function () {
	"use strict";
	var main = document.querySelector("main[data-live]");
	if (!main || !window.fetch || !window.DOMParser) {
		return;
	}
	var stamp = document.getElementById("live");
	var period = 1000 * (parseInt(main.getAttribute("data-live"), 10) || 5);
	var count = 0;

	function show(ok, text) {
		if (stamp) {
			stamp.textContent = text;
			stamp.className = ok ? "live" : "live stale";
		}
	}

	function swap(html) {
		var doc = new DOMParser().parseFromString(html, "text/html");
		var fresh = doc.querySelector("main[data-live]");
		var nodes = [];
		var i;
		if (!fresh) {
			throw new Error("the page has no live content");
		}
		for (i = 0; i < fresh.childNodes.length; i++) {
			nodes.push(document.importNode(fresh.childNodes[i], true));
		}
		main.replaceChildren.apply(main, nodes);
		count += 1;
		main.setAttribute("data-refreshed", String(count));
	}

	function refresh() {
		fetch(location.pathname + location.search, {
			cache: "no-store",
			credentials: "same-origin",
			headers: { "Accept": "text/html" }
		}).then(function (r) {
			if (!r.ok) {
				throw new Error("HTTP " + r.status);
			}
			return r.text();
		}).then(function (html) {
			swap(html);
			show(true, "live, updated " +
			    new Date().toISOString().slice(11, 19) + " UTC");
		}).catch(function (e) {
			show(false, "not updating: " + e.message);
		}).then(function () {
			window.setTimeout(refresh, period);
		});
	}

	show(true, "live");
	window.setTimeout(refresh, period);
}());
