// The console's few lines of script: polling for news (no long connections), the
// inbox's "select all", saved replies filling the reply box. Every page works
// without it; it only saves reloads.
(function () {
  "use strict";

  function every(element, work) {
    var seconds = parseInt(element.getAttribute("data-poll-seconds"), 10) || 20;
    window.setInterval(work, Math.max(1, seconds) * 1000);
  }

  function get(url, asJson) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": asJson ? "application/json" : "text/html" } })
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); throw new Error("signed out"); }
        if (!response.ok) { throw new Error(String(response.status)); }
        return asJson ? response.json() : response.text();
      });
  }

  var inbox = document.getElementById("inbox");
  if (inbox) {
    every(inbox, function () {
      get(inbox.getAttribute("data-poll-url"), true).then(function (news) {
        Object.keys(news.counts).forEach(function (status) {
          var cell = inbox.querySelector('[data-count="' + status + '"]');
          if (cell) { cell.textContent = news.counts[status]; }
        });
        if (news.new_tickets > 0) {
          document.getElementById("news-link").textContent = news.message;
          document.getElementById("news").hidden = false;
        }
      }).catch(function () {});
    });
    var all = document.getElementById("select-all");
    if (all) {
      all.addEventListener("change", function () {
        inbox.querySelectorAll('input[name="ticket_id"]').forEach(function (box) { box.checked = all.checked; });
      });
    }
  }

  var thread = document.getElementById("thread");
  if (thread) {
    every(thread, function () {
      var url = thread.getAttribute("data-poll-url") + "?after=" + thread.getAttribute("data-after") +
        "&since=" + encodeURIComponent(thread.getAttribute("data-since"));
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } }).then(function (response) {
        if (response.status === 401) { window.location.reload(); return null; }
        if (!response.ok) { return null; }
        thread.setAttribute("data-since", response.headers.get("X-Thread-Since") || thread.getAttribute("data-since"));
        return response.text();
      }).then(function (html) {
        if (!html || !html.trim()) { return; }
        var holder = document.createElement("ol");
        holder.innerHTML = html;  // rendered and escaped by the server
        Array.prototype.slice.call(holder.children).forEach(function (item) {
          var id = item.getAttribute("data-message-id");
          var shown = thread.querySelector('[data-message-id="' + id + '"]');
          if (shown) {
            thread.replaceChild(item, shown);  // its delivery state changed
          } else if (Number(id) > Number(thread.getAttribute("data-after"))) {
            // New. (An earlier one not shown, whose delivery changed, stays out.)
            thread.appendChild(item);
            thread.setAttribute("data-after", id);
          }
        });
      }).catch(function () {});
    });
  }

  document.querySelectorAll("select[data-fills]").forEach(function (select) {
    select.addEventListener("change", function () {
      var box = document.getElementById(select.getAttribute("data-fills"));
      if (box && select.value) { box.value = select.value; box.focus(); }
    });
  });
})();
