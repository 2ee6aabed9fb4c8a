// The console's only script: live updates from the server's event stream. Pages work without it.
(function () {
  var live = document.getElementById("live");
  var queue = document.querySelector("table.queue, p.empty");
  if (!window.EventSource || (!live && !queue)) return;
  var url = "/console/events" + (live ? "?run=" + encodeURIComponent(live.dataset.run) : "");
  var source = new EventSource(url);
  source.addEventListener("record", function (event) {
    var record = JSON.parse(event.data);
    if (live && record.version <= Number(live.dataset.version)) return;
    if (document.querySelector(".live")) return;
    var note = document.createElement("div");
    note.className = "live";
    note.setAttribute("role", "status");
    var link = document.createElement("a");
    link.href = window.location.pathname + window.location.search;
    link.textContent = live ? "This run has moved on: reload" : "New activity: reload the queue";
    note.appendChild(link);
    document.body.appendChild(note);
  });
})();
