// The handoff page: new messages appear without reloading (the draft in the reply box stays),
// the newest message is kept in view right above the reply box, canned replies fill the box.
// Vendored with the app (no CDN); the page works without it, only without the refresh.
(function () {
  "use strict";
  var timeline = document.getElementById("timeline");
  var box = document.getElementById("reply-text");

  function atBottom() {
    return timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 40;
  }
  function toBottom() { timeline.scrollTop = timeline.scrollHeight; }
  function lastId(root) {
    var items = root.querySelectorAll("li[data-id]");
    return items.length ? items[items.length - 1].getAttribute("data-id") : "";
  }

  if (timeline) {
    toBottom();
    var url = timeline.getAttribute("data-refresh");
    var every = (parseInt(timeline.getAttribute("data-seconds"), 10) || 5) * 1000;
    var refresh = function () {
      fetch(url, {credentials: "same-origin", cache: "no-store"}).then(function (response) {
        if (!response.ok) { return null; }
        return response.text();
      }).then(function (html) {
        if (html === null) { return; }
        var fresh = document.createElement("ol");
        fresh.innerHTML = html;
        if (lastId(fresh) !== lastId(timeline)) {
          var follow = atBottom();
          timeline.innerHTML = html;
          if (follow) { toBottom(); }
        }
      }).catch(function () { /* offline for a moment: try again next time */ });
    };
    window.setInterval(refresh, every);
  }

  document.querySelectorAll("button.canned-reply").forEach(function (button) {
    button.addEventListener("click", function () {
      if (!box) { return; }
      var text = button.getAttribute("data-text");
      box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n" + text : text;
      box.focus();
    });
  });
})();
