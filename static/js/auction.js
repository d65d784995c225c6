/* The live auction page: poll the JSON endpoint, update price, leader, end and history; count down
   from server time. No inline script (CSP): everything is read from data- attributes. */
(function () {
  "use strict";
  var root = document.querySelector("[data-auction-live]");
  if (!root) { return; }
  var d = root.dataset;
  var pollMs = Math.max(500, parseInt(d.pollMs, 10) || 2000);
  var lastSeq = parseInt(d.lastSeq, 10) || 0;
  var status = d.status;
  var held = d.held === "1";  // on hold by a registry change: the clock is stopped
  var endsAt = Date.parse(d.endsAt);
  var startsAt = Date.parse(d.startsAt);
  var rate = parseFloat(d.clockRate) || 1;  // a sandbox's clock runs `rate` times faster than ours
  var serverAt = Date.parse(d.serverTime), localAt = Date.now();  // the server's time when we last heard it
  var failures = 0;

  function field(name) { return root.querySelector('[data-field="' + name + '"]'); }
  function setText(name, text) {
    var el = field(name);
    if (el && el.textContent !== text) { el.textContent = text; el.classList.add("flash-update"); }
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function renderCountdown() {
    var el = field("countdown");
    if (!el) { return; }
    if (held) { el.textContent = d.labelHeld; return; }
    var serverNow = serverAt + (Date.now() - localAt) * rate;
    if (status !== "open" || serverNow >= endsAt) { el.textContent = d.labelEnded; return; }
    var target = serverNow < startsAt ? startsAt : endsAt;
    var left = Math.max(0, Math.floor((target - serverNow) / 1000));
    var days = Math.floor(left / 86400);
    var rest = left % 86400;
    var text = (days ? days + " " + d.labelDays + " " : "") + pad(Math.floor(rest / 3600)) + ":" +
      pad(Math.floor(rest % 3600 / 60)) + ":" + pad(rest % 60);
    el.textContent = serverNow < startsAt ? d.labelOpens + " " + text : text;
    el.classList.toggle("ending", target === endsAt && left < 300);
  }

  function addBids(bids) {
    var body = field("history");
    if (!body) { return; }
    bids.forEach(function (bid) {
      if (bid.seq <= lastSeq) { return; }
      var row = document.createElement("tr");
      row.dataset.seq = bid.seq;
      var cells = [String(bid.seq), bid.bidder, bid.amount_text, bid.placed_at_text];
      cells.forEach(function (text, i) {
        var td = document.createElement("td");
        td.textContent = text;
        if (i === 0 || i === 2) { td.className = "num"; }
        if (i === 1 && bid.by_proxy) {
          var small = document.createElement("small");
          small.className = "muted";
          small.textContent = " (" + d.labelProxy + ")";
          td.appendChild(small);
        }
        row.appendChild(td);
      });
      row.classList.add("flash-update");
      body.insertBefore(row, body.firstChild);
      lastSeq = bid.seq;
    });
    var none = field("no-bids");
    if (none && lastSeq > 0) { none.remove(); }
  }

  function apply(data) {
    var a = data.auction;
    serverAt = Date.parse(data.server_time);
    localAt = Date.now();
    endsAt = Date.parse(a.ends_at);
    addBids(data.bids);
    setText("current_price", a.current_price ? a.current_price_text : d.labelNone);
    setText("leader", a.leader || "—");
    setText("bid_count", String(a.bid_count));
    setText("minimum_bid", a.minimum_bid_text);
    setText("ends_at", a.ends_at_text);
    if (a.status === "open" && a.your_code && a.leader) {
      setText("standing", a.leader === a.your_code ? d.labelYouLead : d.labelOutbid);
    }
    var amount = field("bid-amount");
    if (amount && document.activeElement !== amount && amount.dataset.touched !== "1") {
      amount.value = a.minimum_bid;
    }
    if (a.status !== status || Boolean(a.held) !== held) {
      // the round has moved on (closed, awarded...): show the result and the forms that go with it
      window.location.reload();
      return;
    }
    renderCountdown();
  }

  function poll() {
    var url = d.liveUrl + "?after=" + lastSeq;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) { failures = 0; apply(data); })
      .catch(function () { failures += 1; })
      .then(function () { window.setTimeout(poll, pollMs * Math.min(1 + failures, 10)); });
  }

  var amountInput = field("bid-amount");
  if (amountInput) {
    amountInput.addEventListener("input", function () { amountInput.dataset.touched = "1"; });
  }
  renderCountdown();
  window.setInterval(renderCountdown, 1000);
  window.setTimeout(poll, pollMs);
})();
