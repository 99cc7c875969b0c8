// Airlock console: the few behaviours that are ours (htmx does the rest).
// Loaded as a file so the Content-Security-Policy can forbid inline scripts.
(function () {
	"use strict";

	// Dismiss buttons on flash messages.
	document.addEventListener("click", function (ev) {
		var btn = ev.target.closest("[data-dismiss]");
		if (!btn) {
			return;
		}
		var box = btn.closest(".flash");
		if (box) {
			box.remove();
		}
	});

	// Forms and buttons with data-confirm ask before they submit.
	document.addEventListener("submit", function (ev) {
		var msg = ev.target.getAttribute("data-confirm");
		if (msg && !window.confirm(msg)) {
			ev.preventDefault();
		}
	});
})();
