/* EU projects knowledge graph — live project search and the SPARQL query editor.
   No dependencies, no external requests: everything goes to this server. */
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  /* ---------------------------------------------------------------- live search */
  function setupSearch() {
    var form = document.querySelector("form.search[data-api]");
    if (!form) return;
    var input = form.querySelector("input[type=search]");
    var out = document.getElementById("search-results");
    var lang = form.getAttribute("data-lang");
    var timer = null, seq = 0;

    function pageHref(uri) {
      var base = document.getElementById("sparql-form");
      var b = base ? base.getAttribute("data-base") : "";
      var href = b && uri.indexOf(b + "id/") === 0 ? "/doc/" + uri.slice((b + "id/").length) : uri;
      return lang ? href + "?lang=" + encodeURIComponent(lang) : href;
    }

    function run() {
      var q = input.value.trim();
      var mine = ++seq;
      if (q.length < 2) { out.textContent = ""; return; }
      var url = form.getAttribute("data-api") + "?per_page=8&q=" + encodeURIComponent(q) + (lang ? "&lang=" + encodeURIComponent(lang) : "");
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (res) {
          if (mine !== seq) return;
          out.textContent = "";
          if (!res.ok) { out.appendChild(el("p", { text: res.body.detail || "Search failed." })); return; }
          var items = res.body.items || [];
          var list = el("ul");
          items.forEach(function (p) {
            var when = [p.startDate, p.endDate].filter(Boolean).join(" – ");
            list.appendChild(el("li", {}, [
              el("a", { href: pageHref(p["@id"]), text: p.title }),
              p.acronym && p.title.indexOf(p.acronym) < 0 ? el("span", { "class": "tag", text: p.acronym }) : null,
              when ? el("span", { "class": "meta", text: " " + when }) : null
            ]));
          });
          out.appendChild(el("p", { "class": "meta", text: res.body.total + " project" + (res.body.total === 1 ? "" : "s") + " match" + (res.body.total === 1 ? "es" : "") }));
          if (items.length) out.appendChild(list);
        })
        .catch(function () { if (mine === seq) out.textContent = "Search is unavailable."; });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(run, 250);
    });
  }

  /* ---------------------------------------------------------------- SPARQL editor */
  function csvField(value) {
    if (value == null) return "";
    return /[",\r\n]/.test(value) ? '"' + value.replace(/"/g, '""') + '"' : value;
  }

  function toCsv(data) {
    var vars = data.head.vars || [];
    var lines = [vars.map(csvField).join(",")];
    (data.results ? data.results.bindings : []).forEach(function (b) {
      lines.push(vars.map(function (v) { return csvField(b[v] ? (b[v].type === "bnode" ? "_:" + b[v].value : b[v].value) : ""); }).join(","));
    });
    return lines.join("\r\n") + "\r\n";
  }

  function setupEditor() {
    var form = document.getElementById("sparql-form");
    if (!form) return;
    var textarea = document.getElementById("sparql");
    var select = document.getElementById("named-query");
    var status = document.getElementById("sparql-status");
    var results = document.getElementById("sparql-results");
    var download = document.getElementById("download-csv");
    var endpoint = form.getAttribute("data-endpoint") || "/sparql";
    var base = form.getAttribute("data-base") || "";
    var named = [];
    try { named = JSON.parse(document.getElementById("named-queries").textContent || "[]"); } catch (e) { named = []; }
    var csvUrl = null;

    select.addEventListener("change", function () {
      var chosen = named.filter(function (q) { return q.name === select.value; })[0];
      if (chosen) { textarea.value = chosen.sparql; textarea.focus(); }
    });

    function termNode(t) {
      if (!t) return document.createTextNode("");
      if (t.type === "uri") {
        var href = base && t.value.indexOf(base + "id/") === 0 ? "/doc/" + t.value.slice((base + "id/").length) : t.value;
        return el("a", { href: href, text: t.value });
      }
      if (t.type === "bnode") return el("code", { text: "_:" + t.value });
      var span = el("span", { text: t.value });
      if (t["xml:lang"]) { span.setAttribute("lang", t["xml:lang"]); }
      var wrap = el("span", {}, [span]);
      var note = t["xml:lang"] ? "@" + t["xml:lang"] : (t.datatype ? t.datatype.replace("http://www.w3.org/2001/XMLSchema#", "xsd:") : "");
      if (note) wrap.appendChild(el("span", { "class": "dt", text: note }));
      return wrap;
    }

    function showTable(data) {
      var vars = data.head.vars || [];
      var rows = data.results.bindings;
      var table = el("table");
      table.appendChild(el("thead", {}, [el("tr", {}, vars.map(function (v) { return el("th", { scope: "col", text: v }); }))]));
      var body = el("tbody");
      rows.forEach(function (b) {
        body.appendChild(el("tr", {}, vars.map(function (v) { return el("td", {}, [termNode(b[v])]); })));
      });
      table.appendChild(body);
      results.appendChild(table);
      if (csvUrl) URL.revokeObjectURL(csvUrl);
      csvUrl = URL.createObjectURL(new Blob([toCsv(data)], { type: "text/csv" }));
      download.href = csvUrl;
      download.hidden = false;
      return rows.length;
    }

    function isGraphQuery(text) {
      var body = text.replace(/#[^\n]*/g, "").replace(/(PREFIX|BASE)\s+[^\n]*/gi, "");
      return /^\s*(CONSTRUCT|DESCRIBE)\b/i.test(body);
    }

    function run() {
      var query = textarea.value;
      var graph = isGraphQuery(query);
      var started = performance.now();
      status.classList.remove("failed");
      status.textContent = "Running…";
      results.textContent = "";
      download.hidden = true;
      fetch(endpoint, {
        method: "POST",
        headers: {
          "Accept": graph ? "text/turtle" : "application/sparql-results+json",
          "Content-Type": "application/x-www-form-urlencoded"
        },
        body: "query=" + encodeURIComponent(query)
      }).then(function (r) {
        var type = (r.headers.get("Content-Type") || "").split(";")[0].trim();
        return r.text().then(function (text) { return { ok: r.ok, status: r.status, type: type, text: text }; });
      }).then(function (res) {
        var ms = Math.round(performance.now() - started);
        if (!res.ok) {
          status.classList.add("failed");
          var message = res.text;
          try { var p = JSON.parse(res.text); message = p.detail || p.title || res.text; } catch (e) { /* plain text */ }
          status.textContent = "Error " + res.status + ": " + message;
          return;
        }
        if (res.type.indexOf("json") >= 0) {
          var data = JSON.parse(res.text);
          if (typeof data.boolean === "boolean") {
            results.appendChild(el("p", { text: "ASK: " + data.boolean }));
            status.textContent = "Done in " + ms + " ms.";
          } else {
            var n = showTable(data);
            status.textContent = n + " row" + (n === 1 ? "" : "s") + " in " + ms + " ms.";
          }
        } else {
          results.appendChild(el("pre", {}, [el("code", { text: res.text })]));
          status.textContent = "Done in " + ms + " ms (" + (res.type || "text") + ").";
        }
      }).catch(function (err) {
        status.classList.add("failed");
        status.textContent = "The SPARQL endpoint did not answer (" + err + ").";
      });
    }

    form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
    textarea.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupSearch();
    setupEditor();
  });
})();
