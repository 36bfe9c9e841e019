// Small behaviours that work without it too: the pages are plain HTML forms first.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to the first field with an error, so keyboard and screen-reader users land on it.
  var invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) { invalid.focus(); }
});

// A double click sends a form once: its submit buttons are disabled while it goes.
// A form marked data-confirm asks first (deleting a template line and the like).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
    return;
  }
  if (form.getAttribute("method") && form.getAttribute("method").toLowerCase() === "post") {
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  }
}, true);

// A button marked data-print opens the browser's print dialog (recovery codes and the like).
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
});

// A form the server kept while the session had ended is sent on by itself after the login.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-autosubmit]");
  if (form) { form.submit(); }
});

// Before the session's idle limit passes, a warning with 「延長する」; every request the page
// makes (a full load, an htmx exchange) starts the count again. Two minutes ahead, or half the
// limit when it is short.
document.addEventListener("DOMContentLoaded", function () {
  var idle = parseInt(document.body.getAttribute("data-session-idle") || "", 10);
  var box = document.getElementById("session-warning");
  if (!idle || !box) { return; }
  var text = document.getElementById("session-warning-text");
  var button = document.getElementById("session-extend");
  var lead = Math.min(120, idle / 2);
  var timers = [];
  function show(state) {
    text.textContent = text.getAttribute(state === "expired" ? "data-expired" : "data-expiring");
    button.hidden = state === "expired";
    box.hidden = false;
    if (state !== "expired") { button.focus(); }
  }
  function start() {
    timers.forEach(window.clearTimeout);
    box.hidden = true;
    timers = [
      window.setTimeout(function () { show("expiring"); }, (idle - lead) * 1000),
      window.setTimeout(function () { show("expired"); }, idle * 1000)
    ];
  }
  button.addEventListener("click", function () {
    var token = document.querySelector("input[name=csrf_token]");
    var headers = { "X-CSRF-Token": token ? token.value : "" };
    fetch("/account/session", { method: "POST", headers: headers, credentials: "same-origin" })
      .then(function (r) { if (r.ok) { start(); } else { show("expired"); } });
  });
  document.body.addEventListener("htmx:afterRequest", start);
  start();
});

// 「/」 anywhere but in a field goes to the header's search box; Escape closes its list.
document.addEventListener("keydown", function (event) {
  var box = document.getElementById("site-search");
  if (!box) { return; }
  var inField = event.target.closest && event.target.closest("input, textarea, select, [contenteditable]");
  if (event.key === "/" && !inField && !event.ctrlKey && !event.metaKey && !event.altKey) {
    event.preventDefault();
    box.focus();
    box.select();
  } else if (event.key === "Escape" && event.target === box) {
    document.getElementById("site-search-results").innerHTML = "";
  }
});

// The intake's 「新しく登録する」 after a search that found no one: opens the registration
// fields, carries over what was typed (a name, or a reading in kana) and goes to the first
// field still empty.
document.addEventListener("click", function (event) {
  var offer = event.target.closest && event.target.closest("[data-new-child]");
  var box = document.getElementById("f-new_child");
  if (!offer || !box) { return; }
  box.checked = true;
  var typed = offer.getAttribute("data-new-child");
  var isDate = /^[0-9\uFF10-\uFF19]/.test(typed);
  var isKana = /^[\u3041-\u309F\u30A0-\u30FF\s\u3000]+$/.test(typed);
  var into = document.getElementById(isKana ? "f-child_kana" : "f-child_name");
  if (!isDate && into && !into.value) { into.value = typed; }
  var next = ["f-child_name", "f-child_kana", "f-birth_date", "f-guardian_name"]
    .map(function (id) { return document.getElementById(id); })
    .filter(function (field) { return field && !field.value; })[0];
  if (next) { next.focus(); }
});

// The child's page: its sections become tabs (記録・チーム・つなぎ…), one shown at a time, the
// address keeping which (#tab-referrals, or any section's id inside a tab). Without script
// every section shows, one after another. A form that came back with a problem opens its tab.
document.addEventListener("DOMContentLoaded", function () {
  var nav = document.querySelector(".child-tabs");
  if (!nav) { return; }
  var panels = Array.prototype.slice.call(document.querySelectorAll(".tab-panel"));
  var links = Array.prototype.slice.call(nav.querySelectorAll("a"));
  function show(id) {
    var panel = panels.filter(function (p) { return p.id === id; })[0] || panels[0];
    panels.forEach(function (p) { p.hidden = p !== panel; });
    links.forEach(function (a) {
      if (a.getAttribute("href") === "#" + panel.id) { a.setAttribute("aria-current", "true"); }
      else { a.removeAttribute("aria-current"); }
    });
  }
  function fromAddress() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id ? document.getElementById(id) : null;
    var panel = target ? target.closest(".tab-panel") : null;
    show(panel ? panel.id : "tab-record");
    if (target && panel && target !== panel) { target.scrollIntoView(); }
  }
  nav.addEventListener("click", function (event) {
    var a = event.target.closest("a");
    if (!a) { return; }
    event.preventDefault();
    window.history.replaceState(null, "", a.getAttribute("href"));
    show(a.getAttribute("href").slice(1));
  });
  window.addEventListener("hashchange", fromAddress);
  var problem = document.querySelector(".tab-panel [aria-invalid=true], .tab-panel .error-summary");
  if (problem && !window.location.hash) { show(problem.closest(".tab-panel").id); } else { fromAddress(); }
  // A link to a section of this page (the summary's 「返事待ち」) opens its tab.
  document.addEventListener("click", function (event) {
    var a = event.target.closest && event.target.closest("a[href^='#']");
    if (a && !nav.contains(a)) { window.setTimeout(fromAddress, 0); }
  });
});

// On a phone the header is one line: the menu and the user's links open under 「メニュー」.
document.documentElement.classList.add("js");
document.addEventListener("click", function (event) {
  var toggle = event.target.closest && event.target.closest(".menu-toggle");
  if (!toggle) { return; }
  var open = document.documentElement.classList.toggle("menu-open");
  toggle.setAttribute("aria-expanded", open ? "true" : "false");
});

// The referral form: choosing an agency leaves open only the parts its consent covers.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (select.id !== "r-agency") { return; }
  var option = select.options[select.selectedIndex];
  var allowed = option ? option.getAttribute("data-parts") : null;
  if (allowed === null) { return; }
  var list = allowed.split(",");
  select.form.querySelectorAll("input[name=parts]").forEach(function (box) {
    var covered = list.indexOf(box.value) >= 0;
    box.disabled = !covered;
    if (!covered) { box.checked = false; }
  });
});

// An agency ticked among those found by name joins the chosen list, so the next search (which
// replaces the found ones) does not drop it.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.closest || !box.closest(".found-checks") || !box.checked) { return; }
  var chosen = box.closest("fieldset").querySelector(".chosen-checks");
  if (chosen && !chosen.querySelector("input[value='" + box.value + "']")) { chosen.appendChild(box.closest("label")); }
});

// Long forms keep a draft on the server as they are typed (data-draft): saved a moment after
// each change, offered back when the form is opened again, discarded when it is sent. The form
// says so under it. Hidden fields (a plan's version and the like) are never restored.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    var key = new URL(form.action, window.location.href).pathname;
    var token = form.querySelector("input[name=csrf_token]");
    var headers = { "Content-Type": "application/json", "X-CSRF-Token": token ? token.value : "" };
    var status = document.createElement("p");
    status.className = "draft-status hint";
    status.setAttribute("aria-live", "polite");
    status.textContent = "入力中の内容は、下書きとして自動で保存されます（閉じても消えません）。";
    var actions = form.querySelector(".actions");
    form.insertBefore(status, actions && actions.parentNode === form ? actions : null);
    var timer = null;
    function fields() {
      var out = [];
      new FormData(form).forEach(function (value, name) {
        if (typeof value === "string" && name !== "csrf_token") { out.push([name, value]); }
      });
      return out;
    }
    function post(path, body, keepalive) {
      return fetch(path, { method: "POST", headers: headers, credentials: "same-origin", keepalive: !!keepalive, body: JSON.stringify(body) });
    }
    function save() {
      post("/drafts", { key: key, fields: fields() }).then(function (r) {
        var at = new Date().toLocaleTimeString("ja-JP", { hour: "2-digit", minute: "2-digit" });
        status.textContent = r.ok ? "下書きを保存しました（" + at + "）。" : "下書きを保存できませんでした。";
      }).catch(function () { status.textContent = "接続が切れています。つながると下書きを保存します。"; });
    }
    function later() { window.clearTimeout(timer); timer = window.setTimeout(save, 1500); }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    window.addEventListener("online", function () { if (timer) { save(); } });
    form.addEventListener("submit", function () {
      window.clearTimeout(timer);
      post("/drafts/discard", { key: key }, true);
    });
    function restore(pairs) {
      var byName = {};
      pairs.forEach(function (p) { (byName[p[0]] = byName[p[0]] || []).push(p[1]); });
      Object.keys(byName).forEach(function (name) {
        var values = byName[name];
        var i = 0;
        form.querySelectorAll("[name='" + window.CSS.escape(name) + "']").forEach(function (el) {
          if (el.type === "checkbox" || el.type === "radio") { el.checked = values.indexOf(el.value) >= 0; }
          else if (el.type !== "hidden" && el.type !== "file" && i < values.length) { el.value = values[i++]; }
        });
      });
    }
    // On a form that came back with a problem, what was sent is on the page: no offer.
    if (form.querySelector("[aria-invalid=true]")) { return; }
    fetch("/drafts?key=" + encodeURIComponent(key), { credentials: "same-origin" }).then(function (r) {
      return r.status === 200 ? r.json() : null;
    }).then(function (draft) {
      if (!draft) { return; }
      var offer = document.createElement("div");
      offer.className = "notice notice-important draft-offer";
      offer.setAttribute("role", "status");
      var text = document.createElement("span");
      text.textContent = "保存された下書きがあります（" + draft.saved_at + "）。";
      var back = document.createElement("button");
      back.type = "button"; back.className = "button primary"; back.textContent = "下書きを戻す";
      var drop = document.createElement("button");
      drop.type = "button"; drop.className = "button"; drop.textContent = "下書きを破棄する";
      back.addEventListener("click", function () { restore(draft.fields); offer.remove(); status.textContent = "下書きを戻しました。"; });
      drop.addEventListener("click", function () { post("/drafts/discard", { key: key }); offer.remove(); });
      offer.append(text, " ", back, " ", drop);
      form.parentNode.insertBefore(offer, form);
    }).catch(function () {});
  });
});

// A form marked data-offline (the visit's quick note) is sent by script: when the connection
// is down it waits on this device (IndexedDB, photo included) and goes as soon as the
// connection returns, then leaves the device. The page says which.
(function () {
  var STORE = "queue";
  function open(then) {
    if (!window.indexedDB) { return; }
    var request = window.indexedDB.open("tsunagu-offline", 1);
    request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { autoIncrement: true }); };
    request.onsuccess = function () { then(request.result); };
  }
  function say(text) {
    document.querySelectorAll(".offline-status").forEach(function (p) { p.textContent = text; });
  }
  function body(entry) {
    var data = new FormData();
    entry.fields.forEach(function (f) {
      if (f.length > 2) { data.append(f[0], f[1], f[2]); } else { data.append(f[0], f[1]); }
    });
    return data;
  }
  function send(entry) {
    return fetch(entry.action, { method: "POST", body: body(entry), credentials: "same-origin" });
  }
  function keep(entry, then) {
    open(function (db) {
      var tx = db.transaction(STORE, "readwrite");
      tx.objectStore(STORE).add(entry);
      tx.oncomplete = then;
    });
  }
  function flush() {
    open(function (db) {
      var waiting = [];
      var cursor = db.transaction(STORE, "readonly").objectStore(STORE).openCursor();
      cursor.onsuccess = function () {
        var c = cursor.result;
        if (c) { waiting.push({ key: c.key, entry: c.value }); c.continue(); return; }
        waiting.forEach(function (w) {
          send(w.entry).then(function (r) {
            if (!r.ok) { say("保存していたメモを送れませんでした（" + r.status + "）。ログインし直してから、もう一度開いてください。"); return; }
            db.transaction(STORE, "readwrite").objectStore(STORE).delete(w.key);
            say("この端末に保存していたメモを送りました。");
          }).catch(function () {});
        });
      };
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-offline")) { return; }
    event.preventDefault();
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") { fields.push([name, value]); }
      else if (value.size > 0) { fields.push([name, value, value.name]); }
    });
    var entry = { action: form.action, fields: fields };
    var button = form.querySelector("button[type=submit]");
    send(entry).then(function (r) {
      if (r.ok) { window.location.href = r.url; return; }
      if (button) { button.disabled = false; }
      say("保存できませんでした（" + r.status + "）。内容を確かめてください。");
    }).catch(function () {
      keep(entry, function () {
        form.reset();
        if (button) { button.disabled = false; }
        say("接続が切れているため、この端末に一時保存しました。つながったら自動で送ります。");
      });
    });
  }, false);
  window.addEventListener("online", flush);
  document.addEventListener("DOMContentLoaded", function () { if (navigator.onLine) { flush(); } });
})();
