/* EU projects knowledge graph — live project search and the SPARQL query editor.
   No external requests: everything goes to this server. The editor uses the vendored CodeMirror 5
   (static/vendor/codemirror/) when it has loaded, else the plain textarea does the job. */
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

  /* Where a page about a URI lives on this server: /doc/… for URIs under the base, else the URI. */
  function docHref(base, uri) {
    return base && uri.indexOf(base + "id/") === 0 ? "/doc/" + uri.slice((base + "id/").length) : uri;
  }

  function siteBase() {
    var form = document.getElementById("sparql-form");
    return form ? form.getAttribute("data-base") || "" : "";
  }

  function readJson(id, fallback) {
    var node = document.getElementById(id);
    try { return node ? JSON.parse(node.textContent || "") : fallback; } catch (e) { return fallback; }
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
      var href = docHref(siteBase(), uri);
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
      /* typeahead over the rest of the graph: organisations, programmes, countries and places */
      var more = document.getElementById("search-suggestions");
      if (!more) return;
      var kinds = ["organisation", "programme", "country", "place"].map(function (k) { return "&kind=" + k; }).join("");
      fetch("/api/search?limit=6&q=" + encodeURIComponent(q) + kinds, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (body) {
          if (mine !== seq) return;
          more.textContent = "";
          var list = el("ul");
          (body.items || []).forEach(function (s) {
            list.appendChild(el("li", {}, [
              el("a", { href: pageHref(s["@id"]), text: s.label }),
              el("span", { "class": "tag", text: s["@type"] })
            ]));
          });
          if ((body.items || []).length) more.appendChild(list);
        })
        .catch(function () { if (mine === seq) more.textContent = ""; });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(run, 250);
    });
  }

  /* ---------------------------------------------------------------- result files */
  /* SPARQL 1.1 Query Results CSV and TSV: CSV gives plain values, TSV gives terms as in Turtle. */
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

  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var TURTLE_BARE = {
    integer: /^[+-]?\d+$/,
    decimal: /^[+-]?\d*\.\d+$/,
    double: /^[+-]?(\d+\.\d*|\.\d+|\d+)[eE][+-]?\d+$/,
    boolean: /^(true|false)$/
  };

  function tsvTerm(t) {
    if (!t) return "";
    if (t.type === "uri") return "<" + t.value + ">";
    if (t.type === "bnode") return "_:" + t.value;
    var local = t.datatype && t.datatype.indexOf(XSD) === 0 ? t.datatype.slice(XSD.length) : "";
    var bare = Object.prototype.hasOwnProperty.call(TURTLE_BARE, local) ? TURTLE_BARE[local] : null;
    if (bare && bare.test(t.value)) return t.value; // 1, 1.5, 1e3, true: Turtle's short forms
    var text = '"' + t.value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r") + '"';
    if (t["xml:lang"]) return text + "@" + t["xml:lang"];
    if (t.datatype && t.datatype !== XSD + "string") return text + "^^<" + t.datatype + ">";
    return text;
  }

  function toTsv(data) {
    var vars = data.head.vars || [];
    var lines = [vars.map(function (v) { return "?" + v; }).join("\t")];
    (data.results ? data.results.bindings : []).forEach(function (b) {
      lines.push(vars.map(function (v) { return tsvTerm(b[v]); }).join("\t"));
    });
    return lines.join("\n") + "\n";
  }

  /* ---------------------------------------------------------------- the editor itself */
  /* Both editors offer get / set / focus / onChange. The textarea stays the form's field either
     way, and Ctrl+Enter in it runs the query: CodeMirror writes every change back to it, and takes
     over what else reaches it (typing by a script or a WebDriver, the browser restoring the form). */
  function runOnCtrlEnter(textarea, run) {
    textarea.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); }
    });
  }

  function textareaEditor(textarea, run) {
    runOnCtrlEnter(textarea, run);
    return {
      get: function () { return textarea.value; },
      set: function (text) { textarea.value = text; },
      focus: function () { textarea.focus(); },
      onChange: function (fn) { textarea.addEventListener("input", fn); }
    };
  }

  function codeMirrorEditor(textarea, vocabulary, run) {
    var cm = window.CodeMirror(function (node) { textarea.parentNode.insertBefore(node, textarea.nextSibling); }, {
      value: textarea.value,
      mode: "sparql",
      lineNumbers: true,
      matchBrackets: true,
      indentUnit: 2,
      tabSize: 2,
      viewportMargin: Infinity,
      screenReaderLabel: "SPARQL query",
      extraKeys: {
        "Ctrl-Enter": function () { run(); },
        "Cmd-Enter": function () { run(); },
        "Ctrl-Space": "autocomplete",
        // Tab leaves the editor, as it leaves a textarea (no keyboard trap); Ctrl-] / Ctrl-[ indent
        "Tab": false,
        "Shift-Tab": false
      },
      hintOptions: { hint: sparqlHint(vocabulary), completeSingle: false, closeCharacters: /[\s()\[\]{};>,]/ }
    });
    var synced = textarea.value;
    var listeners = [];
    cm.on("change", function () {
      textarea.value = synced = cm.getValue();
      listeners.forEach(function (fn) { fn(); });
    });
    // completion opens by itself after "prefix:" and after "PREFIX " (elsewhere: Ctrl+Space)
    cm.on("inputRead", function () {
      if (cm.state.completionActive) return;
      var cur = cm.getCursor();
      var type = cm.getTokenTypeAt(cur) || "";
      if (/string|comment/.test(type)) return;
      var before = cm.getLine(cur.line).slice(0, cur.ch);
      if (/(^|[\s{(.;,\/^|!])[A-Za-z][\w.-]*:[\w.-]*$/.test(before) || /^\s*PREFIX\s+[\w-]*$/i.test(before)) {
        cm.showHint();
      }
    });
    // the textarea leaves sight, the tab order and the accessibility tree (the editor has the label
    // and the description) but stays in step with the editor
    textarea.classList.add("visually-hidden");
    textarea.setAttribute("tabindex", "-1");
    textarea.setAttribute("aria-hidden", "true");
    cm.getInputField().setAttribute("aria-describedby", textarea.getAttribute("aria-describedby") || "");
    function adopt() {
      if (textarea.value !== synced) { synced = textarea.value; cm.setValue(synced); }
    }
    textarea.addEventListener("input", adopt);
    runOnCtrlEnter(textarea, run);
    return {
      cm: cm,
      get: function () { adopt(); return cm.getValue(); },
      set: function (text) { cm.setValue(text); },
      focus: function () { cm.focus(); },
      onChange: function (fn) { listeners.push(fn); }
    };
  }

  /* ---------------------------------------------------------------- completion */
  var KEYWORDS = ("SELECT DISTINCT WHERE OPTIONAL FILTER UNION MINUS GRAPH SERVICE BIND VALUES " +
    "ORDER BY GROUP HAVING LIMIT OFFSET ASK CONSTRUCT DESCRIBE PREFIX BASE FROM NAMED " +
    "COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT STR LANG LANGMATCHES REGEX CONTAINS STRSTARTS " +
    "LCASE UCASE YEAR NOW COALESCE EXISTS NOT IN AS ASC DESC").split(" ");

  function sparqlHint(vocabulary) {
    var prefixes = vocabulary.prefixes || {};
    var names = Object.keys(prefixes);
    var terms = vocabulary.terms || [];

    function startsWith(text, start) { return text.toLowerCase().indexOf(start.toLowerCase()) === 0; }

    function termItem(t) {
      return {
        text: t.name,
        displayText: t.name,
        prefix: t.name.split(":")[0],
        render: function (node) {
          node.appendChild(document.createTextNode(t.name));
          node.appendChild(el("span", { "class": "hint-kind", text: " " + t.kind + (t.label ? " · " + t.label : "") }));
          if (t.definition) node.title = t.definition;
        }
      };
    }

    return function (cm) {
      var cur = cm.getCursor();
      var line = cm.getLine(cur.line);
      var start = cur.ch;
      while (start > 0 && /[\w.:-]/.test(line.charAt(start - 1))) start--;
      var word = line.slice(start, cur.ch);
      var before = line.slice(0, start);
      var list = [];
      if (/^\s*PREFIX\s+$/i.test(before)) {
        // a declaration: "kg: <namespace>"
        list = names.filter(function (p) { return startsWith(p + ":", word); }).map(function (p) {
          return { text: p + ": <" + prefixes[p] + ">", displayText: p + ": <" + prefixes[p] + ">" };
        });
      } else if (word.indexOf(":") > 0) {
        list = terms.filter(function (t) { return startsWith(t.name, word); }).map(termItem);
      } else {
        list = names.filter(function (p) { return word && startsWith(p, word); }).map(function (p) {
          return { text: p + ":", displayText: p + ":  <" + prefixes[p] + ">", prefix: p };
        });
        if (word) {
          list = list.concat(terms.filter(function (t) { return startsWith(t.name.split(":")[1], word); }).map(termItem));
          list = list.concat(KEYWORDS.filter(function (k) { return startsWith(k, word) && k.toLowerCase() !== word.toLowerCase(); })
            .map(function (k) { return { text: k, displayText: k }; }));
        } else {
          list = terms.map(termItem);
        }
      }
      var result = { list: list, from: window.CodeMirror.Pos(cur.line, start), to: window.CodeMirror.Pos(cur.line, cur.ch) };
      window.CodeMirror.on(result, "pick", function (picked) {
        if (picked.prefix) declarePrefix(cm, picked.prefix, prefixes[picked.prefix]);
        if (picked.text === picked.prefix + ":") setTimeout(function () { cm.showHint(); }, 0);
      });
      return result;
    };
  }

  /* A picked "kg:…" gets its PREFIX line when the query has none (after the last PREFIX line). */
  function declarePrefix(cm, prefix, namespace) {
    if (!namespace) return;
    var text = cm.getValue();
    if (new RegExp("^\\s*PREFIX\\s+" + prefix + ":", "im").test(text)) return;
    var lines = text.split("\n");
    var at = 0;
    lines.forEach(function (l, i) { if (/^\s*(PREFIX|BASE)\b/i.test(l)) at = i + 1; });
    cm.replaceRange("PREFIX " + prefix + ": <" + namespace + ">\n", window.CodeMirror.Pos(at, 0));
  }

  /* ---------------------------------------------------------------- the query in the address bar */
  function urlWith(query, run) {
    var params = new URLSearchParams(window.location.search);
    params.set("query", query);
    if (run) params.set("run", "1"); else params.delete("run");
    return window.location.pathname + "?" + params.toString() + "#editor";
  }

  function endpointUrl(endpoint, query, format) {
    return endpoint + "?query=" + encodeURIComponent(query) + "&format=" + format;
  }

  /* ---------------------------------------------------------------- the query page */
  var PAGE_SIZE = 50;

  function setupEditor() {
    var form = document.getElementById("sparql-form");
    if (!form) return;
    var textarea = document.getElementById("sparql");
    var select = document.getElementById("named-query");
    var status = document.getElementById("sparql-status");
    var results = document.getElementById("sparql-results");
    var pager = document.getElementById("sparql-pager");
    var pageInfo = document.getElementById("page-info");
    var prev = document.getElementById("page-prev");
    var next = document.getElementById("page-next");
    var endpointLinks = document.getElementById("endpoint-links");
    var downloads = {
      csv: document.getElementById("download-csv"),
      tsv: document.getElementById("download-tsv"),
      json: document.getElementById("download-json"),
      ttl: document.getElementById("download-ttl")
    };
    var endpoint = form.getAttribute("data-endpoint") || "/sparql";
    var base = form.getAttribute("data-base") || "";
    var named = readJson("named-queries", []);
    var blobUrls = [];
    var shown = null; // { vars, rows, page } of the SELECT results on screen
    var seq = 0;

    var editor;
    var haveCodeMirror = window.CodeMirror && window.CodeMirror.modes && window.CodeMirror.modes.sparql && window.CodeMirror.prototype.showHint;
    try {
      editor = haveCodeMirror ? codeMirrorEditor(textarea, readJson("sparql-vocabulary", {}), run) : textareaEditor(textarea, run);
    } catch (e) {
      editor = textareaEditor(textarea, run);
    }
    window.kgQueryEditor = editor; // for the browser tests and the console

    function matchNamed(text) {
      var found = named.filter(function (q) { return q.sparql === text; })[0];
      select.value = found ? found.name : "";
    }

    select.addEventListener("change", function () {
      var chosen = named.filter(function (q) { return q.name === select.value; })[0];
      if (chosen) { editor.set(chosen.sparql); editor.focus(); }
    });

    // the address bar follows the text (the run flag drops when the text changes)
    var urlTimer = null;
    editor.onChange(function () {
      clearTimeout(urlTimer);
      urlTimer = setTimeout(function () { window.history.replaceState(null, "", urlWith(editor.get(), false)); }, 300);
    });

    function termNode(t) {
      if (!t) return document.createTextNode("");
      if (t.type === "uri") return el("a", { href: docHref(base, t.value), text: t.value });
      if (t.type === "bnode") return el("code", { text: "_:" + t.value });
      var span = el("span", { text: t.value });
      if (t["xml:lang"]) { span.setAttribute("lang", t["xml:lang"]); }
      var wrap = el("span", {}, [span]);
      var note = t["xml:lang"] ? "@" + t["xml:lang"] : (t.datatype ? t.datatype.replace(XSD, "xsd:") : "");
      if (note) wrap.appendChild(el("span", { "class": "dt", text: note }));
      return wrap;
    }

    function showPage(page) {
      var pages = Math.max(1, Math.ceil(shown.rows.length / PAGE_SIZE));
      shown.page = Math.min(Math.max(1, page), pages);
      var first = (shown.page - 1) * PAGE_SIZE;
      var slice = shown.rows.slice(first, first + PAGE_SIZE);
      var table = el("table");
      table.appendChild(el("thead", {}, [el("tr", {}, shown.vars.map(function (v) { return el("th", { scope: "col", text: v }); }))]));
      var body = el("tbody");
      slice.forEach(function (b) {
        body.appendChild(el("tr", {}, shown.vars.map(function (v) { return el("td", {}, [termNode(b[v])]); })));
      });
      table.appendChild(body);
      results.textContent = "";
      results.appendChild(table);
      results.scrollTop = 0;
      pager.hidden = pages < 2;
      prev.disabled = shown.page <= 1;
      next.disabled = shown.page >= pages;
      pageInfo.textContent = "Rows " + (slice.length ? first + 1 : 0) + "–" + (first + slice.length) + " of " + shown.rows.length + " (page " + shown.page + " of " + pages + ")";
    }

    prev.addEventListener("click", function () { if (shown) showPage(shown.page - 1); });
    next.addEventListener("click", function () { if (shown) showPage(shown.page + 1); });

    function offerDownload(kind, text, type) {
      var url = URL.createObjectURL(new Blob([text], { type: type }));
      blobUrls.push(url);
      downloads[kind].href = url;
      downloads[kind].hidden = false;
    }

    function offerEndpointLinks(query, formats) {
      formats.forEach(function (f, i) {
        var a = document.getElementById("endpoint-" + (i + 1));
        a.href = endpointUrl(endpoint, query, f[0]);
        a.textContent = f[1];
      });
      endpointLinks.hidden = false;
    }

    function clearResults() {
      results.textContent = "";
      pager.hidden = true;
      endpointLinks.hidden = true;
      shown = null;
      Object.keys(downloads).forEach(function (k) { downloads[k].hidden = true; });
      blobUrls.forEach(function (u) { URL.revokeObjectURL(u); });
      blobUrls = [];
    }

    function isGraphQuery(text) {
      var body = text.replace(/#[^\n]*/g, "").replace(/(PREFIX|BASE)\s+[^\n]*/gi, "");
      return /^\s*(CONSTRUCT|DESCRIBE)\b/i.test(body);
    }

    function run() {
      var query = editor.get();
      var graph = isGraphQuery(query);
      var started = performance.now();
      var mine = ++seq;
      clearTimeout(urlTimer);
      window.history.replaceState(null, "", urlWith(query, true));
      matchNamed(query);
      status.classList.remove("failed");
      status.textContent = "Running…";
      clearResults();
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
        if (mine !== seq) return;
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
            return;
          }
          shown = { vars: data.head.vars || [], rows: data.results.bindings, page: 1 };
          showPage(1);
          offerDownload("csv", toCsv(data), "text/csv");
          offerDownload("tsv", toTsv(data), "text/tab-separated-values");
          offerDownload("json", res.text, "application/sparql-results+json");
          offerEndpointLinks(query, [["csv", "CSV"], ["tsv", "TSV"], ["json", "SPARQL JSON"]]);
          var n = shown.rows.length;
          status.textContent = n + " row" + (n === 1 ? "" : "s") + " in " + ms + " ms.";
        } else {
          results.appendChild(el("pre", {}, [el("code", { text: res.text })]));
          if (res.type === "text/turtle") {
            offerDownload("ttl", res.text, "text/turtle");
            offerEndpointLinks(query, [["turtle", "Turtle"], ["ntriples", "N-Triples"], ["jsonld", "JSON-LD"]]);
          }
          status.textContent = "Done in " + ms + " ms (" + (res.type || "text") + ").";
        }
      }).catch(function (err) {
        if (mine !== seq) return;
        status.classList.add("failed");
        status.textContent = "The SPARQL endpoint did not answer (" + err + ").";
      });
    }

    form.addEventListener("submit", function (e) { e.preventDefault(); run(); });

    // a link to the page with ?query=… filled the textarea (on the server); &run=1 runs it
    var params = new URLSearchParams(window.location.search);
    if (params.has("query")) {
      matchNamed(editor.get());
      document.getElementById("editor").scrollIntoView();
      if (params.get("run") === "1") run();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupSearch();
    setupEditor();
  });
})();
