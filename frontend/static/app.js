// Groundswell's employee pages: progressive enhancement only. Every page works without this
// script; with it, new posts are offered without losing the reader's place, favourites,
// boosts and bookmarks happen in place, the compose box completes @names and #hashtags,
// counts characters and posts with Ctrl+Enter, and the keyboard shortcuts work (press ?).
// Its words come from the page, in the reader's language: no sentence is written here.
"use strict";

(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  // ---- New posts on a live timeline: fetched every 20 s, shown when the reader asks. The
  // server sends the button's label for each total along with the cards (`waiting` is how
  // many are held back already), so plurals stay in the catalogue.
  const live = $(".posts[data-live]");
  if (live) {
    const bar = $(".new-posts");
    const button = $("#show-new");
    let pending = [];
    const look = async () => {
      const since = live.dataset.newest;
      if (!since && live.children.length) return;
      const sep = live.dataset.live.includes("?") ? "&" : "?";
      const url = `${live.dataset.live}${sep}partial=1&waiting=${pending.length}${since ? `&since_id=${since}` : ""}`;
      try {
        const res = await fetch(url, { credentials: "same-origin" });
        if (!res.ok) return;
        const newest = res.headers.get("x-newest");
        const html = await res.text();
        const t = document.createElement("template");
        t.innerHTML = html;
        const cards = $$("article.post", t.content).filter((a) => !document.getElementById(a.id));
        if (newest) live.dataset.newest = newest;
        if (!cards.length) return;
        pending = cards.concat(pending);
        const label = $(`.new-posts-label[data-count="${pending.length}"]`, t.content);
        if (label) button.textContent = label.textContent;
        bar.hidden = false;
      } catch (_) {
        // Offline for a moment: the next look tries again.
      }
    };
    button.addEventListener("click", () => {
      live.prepend(...pending);
      pending = [];
      bar.hidden = true;
      const first = $("article.post", live);
      if (first) first.focus();
    });
    setInterval(look, 20_000);
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) look();
    });
  }

  // ---- Favourite, boost, bookmark in place (the forms post as usual without the script).
  const flip = { favourite: "unfavourite", unfavourite: "favourite", boost: "unboost", unboost: "boost", bookmark: "unbookmark", unbookmark: "bookmark" };
  document.addEventListener("submit", async (e) => {
    const form = e.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      e.preventDefault();
      return;
    }
    if (!form.classList.contains("toggle")) return;
    e.preventDefault();
    const button = $("button", form);
    button.disabled = true;
    try {
      const res = await fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      if (res.status !== 204) {
        form.submit();
        return;
      }
      const parts = form.action.split("/");
      const action = parts.pop();
      const on = !action.startsWith("un");
      form.action = [...parts, flip[action]].join("/");
      button.setAttribute("aria-pressed", String(on));
      const n = $(".n", button);
      if (n) n.textContent = String(Math.max(0, Number(n.textContent) + (on ? 1 : -1)));
    } finally {
      button.disabled = false;
    }
  });

  // ---- The compose box: characters left, Ctrl+Enter, @ and # completion.
  const status = $("#status");
  if (status) {
    const left = $("#chars .left");
    const max = Number(status.dataset.max);
    const count = () => {
      left.textContent = String(max - [...status.value].length);
    };
    status.addEventListener("input", count);
    count();
    const list = $("#suggestions");
    let items = [];
    let active = -1;
    let timer;
    const close = () => {
      list.hidden = true;
      list.innerHTML = "";
      items = [];
      active = -1;
      status.setAttribute("aria-expanded", "false");
      status.removeAttribute("aria-activedescendant");
    };
    const token = () => {
      const before = status.value.slice(0, status.selectionStart);
      const m = /(^|\s)([@#][\p{L}\p{N}_.@:-]+)$/u.exec(before);
      return m ? m[2] : null;
    };
    const choose = (i) => {
      const word = token();
      if (!word || !items[i]) return;
      const at = status.selectionStart;
      const start = at - word.length;
      const insert = `${items[i].value} `;
      status.value = status.value.slice(0, start) + insert + status.value.slice(at);
      status.selectionStart = status.selectionEnd = start + insert.length;
      close();
      count();
    };
    const mark = () => {
      $$("li", list).forEach((li, i) => li.setAttribute("aria-selected", String(i === active)));
      if (active >= 0) status.setAttribute("aria-activedescendant", `suggestion-${active}`);
    };
    status.addEventListener("input", () => {
      clearTimeout(timer);
      const word = token();
      if (!word || word.length < 2) return close();
      timer = setTimeout(async () => {
        try {
          const res = await fetch(`/compose/suggest?q=${encodeURIComponent(word)}`, { credentials: "same-origin" });
          if (!res.ok) return close();
          items = await res.json();
        } catch (_) {
          return close();
        }
        if (!items.length || token() !== word) return close();
        list.innerHTML = "";
        items.forEach((item, i) => {
          const li = document.createElement("li");
          li.id = `suggestion-${i}`;
          li.setAttribute("role", "option");
          li.textContent = item.label === item.value ? item.value : `${item.value} — ${item.label}`;
          li.addEventListener("mousedown", (ev) => {
            ev.preventDefault();
            choose(i);
          });
          list.append(li);
        });
        active = 0;
        mark();
        list.hidden = false;
        status.setAttribute("aria-expanded", "true");
      }, 150);
    });
    status.addEventListener("keydown", (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
        e.preventDefault();
        status.form.requestSubmit();
        return;
      }
      if (list.hidden) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
        mark();
      } else if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        choose(active);
      } else if (e.key === "Escape") {
        close();
      }
    });
    status.addEventListener("blur", () => setTimeout(close, 100));
  }

  // ---- Keyboard shortcuts (not while typing).
  let pendingG = false;
  const posts = () => $$("article.post");
  const current = () => document.activeElement?.closest?.("article.post");
  const move = (step) => {
    const all = posts();
    if (!all.length) return;
    const i = all.indexOf(current());
    const next = all[Math.min(all.length - 1, Math.max(0, i < 0 ? 0 : i + step))];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  };
  document.addEventListener("keydown", (e) => {
    const t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (t.closest && t.closest("input, textarea, select, [contenteditable], dialog")) return;
    if (pendingG) {
      pendingG = false;
      const link = $(`a[data-key="g ${e.key}"]`);
      if (link) {
        e.preventDefault();
        link.click();
      }
      return;
    }
    const post = current();
    switch (e.key) {
      case "g":
        pendingG = true;
        setTimeout(() => (pendingG = false), 1500);
        break;
      case "n":
        e.preventDefault();
        if (status) {
          status.focus();
          status.scrollIntoView({ block: "center" });
        } else {
          window.location.assign("/compose");
        }
        break;
      case "/":
        e.preventDefault();
        window.location.assign("/people");
        break;
      case "?":
        e.preventDefault();
        $("#shortcuts")?.showModal();
        break;
      case "j":
        move(1);
        break;
      case "k":
        move(-1);
        break;
      case "f":
      case "b":
      case "r": {
        if (!post) return;
        const act = { f: "favourite", b: "boost", r: "reply" }[e.key];
        $(`[data-act="${act}"]`, post)?.click();
        break;
      }
      default:
    }
  });

  // A reply link to this page's own compose box: focus it.
  if (location.hash === "#compose" && status) {
    status.focus();
    status.selectionStart = status.selectionEnd = status.value.length;
  }
})();
