// hardaudit report: sorts and filters the tables and draws the findings list and the host
// details from the page's data block. Static (the same in every report, admitted by its
// hash in the Content-Security-Policy): it writes text with textContent only, never markup,
// and loads nothing.
"use strict";
(function () {
  var doc = document;
  var SEVERITIES = ["info", "low", "medium", "high", "critical"];
  var PAGE = 300;  // findings rows drawn at a time
  doc.documentElement.classList.add("js");

  var dataNode = doc.getElementById("report-data");
  var data = dataNode ? JSON.parse(dataNode.textContent) : { checks: {}, hosts: [] };
  var hostsByAnchor = {};
  data.hosts.forEach(function (host) { hostsByAnchor[host.a] = host; });

  function el(tag, className, text) {
    var node = doc.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function badge(className, text) { return el("span", "badge " + className, text); }

  function hostLink(host) {
    var link = el("a", "", host.n);
    link.href = "#" + host.a;
    return link;
  }

  // ---- tables drawn by the server: the grid and the checks (sort and filter the DOM rows)

  function rowsOf(table) { return Array.prototype.slice.call(table.tBodies[0].rows); }

  function cellKey(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) { return numeric ? -Infinity : ""; }
    var raw = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent;
    if (numeric) {
      var n = parseFloat(raw);
      return isNaN(n) ? -Infinity : n;
    }
    return raw.trim().toLowerCase();
  }

  function compare(a, b, ascending) {
    if (a.key < b.key) { return ascending ? -1 : 1; }
    if (a.key > b.key) { return ascending ? 1 : -1; }
    return a.position - b.position;
  }

  function markSorted(table, th, ascending) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function sortRows(table, th) {
    var index = th.cellIndex;
    var numeric = th.getAttribute("data-sort") === "num";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    markSorted(table, th, ascending);
    var keyed = rowsOf(table).map(function (row, position) {
      return { row: row, key: cellKey(row, index, numeric), position: position };
    });
    keyed.sort(function (a, b) { return compare(a, b, ascending); });
    var fragment = doc.createDocumentFragment();
    keyed.forEach(function (k) { fragment.appendChild(k.row); });
    table.tBodies[0].appendChild(fragment);
  }

  function valueOf(form, name) {
    var field = form.elements.namedItem(name);
    if (!field) { return ""; }
    return field.type === "checkbox" ? field.checked : field.value;
  }

  function filterOf(form) {
    return {
      status: valueOf(form, "status"),
      sev: valueOf(form, "sev") === "" ? -2 : parseInt(valueOf(form, "sev"), 10),
      group: valueOf(form, "group"),
      check: valueOf(form, "check"),
      fresh: valueOf(form, "new"),
      q: String(valueOf(form, "q")).trim().toLowerCase()
    };
  }

  function filterHostRows(form) {
    var table = doc.getElementById(form.getAttribute("data-for"));
    var f = filterOf(form);
    var rows = rowsOf(table);
    var shown = 0;
    rows.forEach(function (row) {
      var status = row.getAttribute("data-status");
      var keep = !(f.status === "!ok" ? status === "ok" : f.status && status !== f.status) &&
        parseInt(row.getAttribute("data-sev"), 10) >= f.sev &&
        (!f.group || row.getAttribute("data-groups").split("\n").indexOf(f.group) >= 0) &&
        (!f.fresh || row.getAttribute("data-new") === "1") &&
        (!f.q || row.textContent.toLowerCase().indexOf(f.q) >= 0);
      if (row.hidden === keep) { row.hidden = !keep; }
      if (keep) { shown++; }
    });
    form.querySelector("output").textContent = shown + " of " + rows.length + " hosts shown";
  }

  Array.prototype.forEach.call(doc.querySelectorAll("table"), function (table) {
    if (!table.tHead || table.id === "finding-table") { return; }
    table.tHead.addEventListener("click", function (event) {
      var th = event.target.closest("th[data-sort]");
      if (th) { sortRows(table, th); }
    });
  });

  Array.prototype.forEach.call(doc.querySelectorAll("form.filters[data-for]"), function (form) {
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.addEventListener("change", function () { filterHostRows(form); });
    form.addEventListener("input", function () { filterHostRows(form); });
    filterHostRows(form);
  });

  // ---- the findings list, drawn from the data block

  var findings = [];
  data.hosts.forEach(function (host) {
    host.f.forEach(function (finding) {
      var objects = finding.st === "fail" ? finding.o : [null];
      objects.forEach(function (object) {
        var what = object ? (object[0] || "(the host)") + (object[1] ? " (" + object[1] + ")" : "")
          : finding.r;
        findings.push({
          host: host, finding: finding, what: what,
          since: object ? object[2] : "", fresh: object ? object[3] === 1 : false,
          text: (host.n + " " + finding.c + " " + what).toLowerCase()
        });
      });
    });
  });
  var findingKeys = {
    host: function (r) { return r.host.n.toLowerCase(); },
    check: function (r) { return r.finding.c; },
    sev: function (r) { return r.finding.sv; },
    status: function (r) { return r.finding.st; },
    what: function (r) { return r.what.toLowerCase(); },
    since: function (r) { return r.since; }
  };
  findings.forEach(function (r, position) { r.position = position; });
  findings.sort(function (a, b) {
    return (b.fresh - a.fresh) || (b.finding.sv - a.finding.sv) || (a.position - b.position);
  });
  findings.forEach(function (r, position) { r.position = position; });

  var findingTable = doc.getElementById("finding-table");
  var findingForm = doc.getElementById("finding-filters");
  var moreButton = doc.getElementById("finding-more");
  var shownFindings = [];
  var drawn = 0;

  function findingRow(r) {
    var row = el("tr");
    var cell = el("td");
    cell.appendChild(hostLink(r.host));
    row.appendChild(cell);
    row.appendChild(el("td", "c", r.finding.c));
    row.appendChild(el("td", "sev-" + SEVERITIES[r.finding.sv], SEVERITIES[r.finding.sv]));
    cell = el("td", "", r.finding.st);
    if (r.fresh) {
      cell.appendChild(doc.createTextNode(" "));
      cell.appendChild(el("b", "new", "new"));
    }
    row.appendChild(cell);
    row.appendChild(el("td", "reason", r.what));
    row.appendChild(el("td", "", r.since));
    return row;
  }

  function drawMore() {
    var body = findingTable.tBodies[0];
    var fragment = doc.createDocumentFragment();
    var end = Math.min(drawn + PAGE, shownFindings.length);
    for (var i = drawn; i < end; i++) { fragment.appendChild(findingRow(shownFindings[i])); }
    body.appendChild(fragment);
    drawn = end;
    moreButton.hidden = drawn >= shownFindings.length;
    moreButton.textContent = "Show " + Math.min(PAGE, shownFindings.length - drawn) +
      " more (" + (shownFindings.length - drawn) + " not shown)";
  }

  function drawFindings() {
    var f = filterOf(findingForm);
    shownFindings = findings.filter(function (r) {
      return (!f.status || r.finding.st === f.status) && r.finding.sv >= f.sev &&
        (!f.group || r.host.g.indexOf(f.group) >= 0) &&
        (!f.check || r.finding.c === f.check) && (!f.fresh || r.fresh) &&
        (!f.q || r.text.indexOf(f.q) >= 0);
    });
    var th = findingTable.querySelector("th[aria-sort]");
    if (th) {
      var key = findingKeys[th.getAttribute("data-key")];
      var ascending = th.getAttribute("aria-sort") === "ascending";
      shownFindings = shownFindings.map(function (r) {
        return { row: r, key: key(r), position: r.position };
      }).sort(function (a, b) { return compare(a, b, ascending); })
        .map(function (k) { return k.row; });
    }
    findingTable.tBodies[0].textContent = "";
    drawn = 0;
    drawMore();
    findingForm.querySelector("output").textContent =
      shownFindings.length + " of " + findings.length + " findings match";
  }

  if (findingTable && findingForm) {
    findingTable.tHead.addEventListener("click", function (event) {
      var th = event.target.closest("th[data-key]");
      if (!th) { return; }
      markSorted(findingTable, th, th.getAttribute("aria-sort") !== "ascending");
      drawFindings();
    });
    findingForm.addEventListener("submit", function (event) { event.preventDefault(); });
    findingForm.addEventListener("change", drawFindings);
    findingForm.addEventListener("input", drawFindings);
    moreButton.addEventListener("click", drawMore);
    drawFindings();
  }

  doc.addEventListener("click", function (event) {
    var link = event.target.closest("a.show-check");
    if (!link || !findingForm) { return; }
    findingForm.elements.namedItem("check").value = link.getAttribute("data-check");
    drawFindings();
  });

  // ---- one host's details, drawn when its link is followed

  function list(className, items) {
    var ul = el("ul", className);
    items.forEach(function (item) {
      var li = el("li");
      item.forEach(function (part) {
        li.appendChild(typeof part === "string" ? doc.createTextNode(part) : part);
      });
      ul.appendChild(li);
    });
    return ul;
  }

  function findingBlock(finding) {
    var block = el("div", "finding " + finding.st);
    var head = el("h4");
    head.appendChild(finding.st === "fail" ? badge("sev-" + SEVERITIES[finding.sv], SEVERITIES[finding.sv])
      : badge(finding.st === "waived" ? "g-waived" : "", finding.st));
    head.appendChild(doc.createTextNode(" "));
    head.appendChild(el("code", "", finding.c));
    var check = data.checks[finding.c];
    head.appendChild(doc.createTextNode(" " + (check ? check[0] : "")));
    block.appendChild(head);
    if (finding.st === "fail") {
      block.appendChild(list("objects", finding.o.map(function (o) {
        var parts = [el("code", "", o[0] || "(the host)")];
        if (o[1]) { parts.push(" at ", el("code", "", o[1])); }
        if (o[3] === 1) { parts.push(" ", badge("new", "new")); }
        if (o[2]) { parts.push(" · failing since " + o[2]); }
        return parts;
      })));
    } else if (finding.r) {
      block.appendChild(el("p", "reason", finding.r));
    }
    if (finding.ev.length) { block.appendChild(el("pre", "evidence", finding.ev.join("\n"))); }
    if (check && check[1]) {
      var fix = el("a", "", "How to fix " + finding.c);
      fix.href = "#check-" + finding.c;
      var p = el("p", "fix");
      p.appendChild(fix);
      block.appendChild(p);
    }
    return block;
  }

  function showHost(host) {
    var view = doc.getElementById("host-view");
    view.textContent = "";
    var title = el("h3");
    title.appendChild(doc.createTextNode(host.n + " "));
    title.appendChild(el("code", "", host.ad));
    title.appendChild(doc.createTextNode(" "));
    title.appendChild(badge(host.ok ? "status-ok" : "status-problem", host.s));
    if (host.na) { title.appendChild(doc.createTextNode(" ")); title.appendChild(badge("flag", "never audited")); }
    if (host.ch) { title.appendChild(doc.createTextNode(" ")); title.appendChild(badge("new", host.ch)); }
    view.appendChild(title);
    var meta = [];
    if (host.g.length) { meta.push("groups: " + host.g.join(", ")); }
    if (host.j.length) { meta.push("via " + host.j.join(" → ")); }
    if (host.os) { meta.push(host.os); }
    if (host.pv) { meta.push("privilege: " + host.pv); }
    if (host.ok) { meta.push("score " + host.sc); }
    meta.push((host.ok ? "" : "after ") + host.d);
    view.appendChild(el("p", "meta", meta.join(" · ")));
    if (!host.ok) { view.appendChild(el("p", "reason", host.r)); }
    if (host.no.length) { view.appendChild(list("notes", host.no.map(function (n) { return [n]; }))); }
    host.f.forEach(function (finding) { view.appendChild(findingBlock(finding)); });
    if (host.ok && !host.f.some(function (f) { return f.st !== "waived"; })) {
      view.appendChild(el("p", "", "No check failed; none was unknown."));
    }
    if (host.p.length) {
      var passes = el("details", "passes");
      passes.appendChild(el("summary", "", "Passed (" + host.p.length + ")"));
      passes.appendChild(el("p", "", host.p.join(", ")));
      view.appendChild(passes);
    }
    if (host.sk.length) {
      var skips = el("details", "skips");
      skips.appendChild(el("summary", "", "Skipped (" + host.sk.length + ")"));
      skips.appendChild(list("", host.sk.map(function (s) {
        return [el("code", "", s[0]), s[1] ? ": " + s[1] : ""];
      })));
      view.appendChild(skips);
    }
    view.hidden = false;
    doc.getElementById("host-hint").hidden = true;
    doc.getElementById("details").scrollIntoView();
  }

  function follow() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (hostsByAnchor.hasOwnProperty(id)) {
      showHost(hostsByAnchor[id]);
      return;
    }
    var target = id && doc.getElementById(id);
    var fix = target && target.querySelector("details.fix");
    if (fix) { fix.open = true; target.scrollIntoView(); }
  }

  // sortable headers are reached with Tab and sorted with Enter or Space, as buttons are
  Array.prototype.forEach.call(doc.querySelectorAll("th[data-sort], th[data-key]"), function (th) {
    th.tabIndex = 0;
    th.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        th.click();
      }
    });
  });

  window.addEventListener("hashchange", follow);
  follow();
})();
