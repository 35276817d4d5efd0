// report.html's script: draws the plan from the JSON in #plan-data as SVG, with no library and
// no request (the page's Content-Security-Policy forbids them).
//
// Two views. "Silos": a node per silo, an edge from the child's silo to the parent's with the
// number of foreign keys crossing that way; it stays readable at any number of tables. "Tables":
// each silo a box of its tables in a grid (a grid, not a force layout: the same plan always
// draws the same picture, and a thousand tables stay legible), the crossing keys as red dashed
// lines. A click on a table lists its keys and its cascade closure (what deleting one of its
// rows reaches, as `silo-plan explain` walks it) and draws them. The URL parameters
// `?view=silos|tables`, `?q=TEXT` and `?select=TABLE` (which clicks that table's node, through
// the same handler as a mouse) open the page in that state.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("plan-data").textContent);
  const SVG = "http://www.w3.org/2000/svg";
  const tables = data.tables; // [name, silo]
  const fks = data.fks;
  const silos = data.silos;
  const PALETTE = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#ff7f0e"];
  const color = (s) =>
    silos[s].role === "shared" ? "#6b7280" : silos[s].role === "unassigned" ? "#c62828" : PALETTE[s % PALETTE.length];

  // Each table's keys, both ways, and each silo's tables.
  const out = tables.map(() => []);
  const inc = tables.map(() => []);
  fks.forEach((f, i) => {
    out[f.child].push(i);
    inc[f.parent].push(i);
  });
  const bySilo = silos.map(() => []);
  tables.forEach((t, i) => bySilo[t[1]].push(i));
  const omitted = new Map(data.omitted.map((o) => [o[0], o[1]]));
  const byName = new Map(tables.map((t, i) => [t[0], i]));

  const $ = (id) => document.getElementById(id);
  const svg = $("graph");
  const details = $("details");
  const state = { view: null, selected: null, query: "" };
  let pos = null; // table → cell centre, in the tables view

  function node(tag, attrs, parent, text) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function html(tag, parent, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    if (parent) parent.appendChild(e);
    return e;
  }
  // A link that selects table `i`.
  function tableLink(parent, i) {
    const a = html("a", parent, tables[i][0], "t");
    a.href = "#";
    a.addEventListener("click", (ev) => {
      ev.preventDefault();
      select(i);
    });
    return a;
  }

  // The header's counts.
  const crossings = fks.filter((f) => f.crosses);
  $("config").textContent = data.config;
  $("n-tables").textContent = tables.length;
  $("n-silos").textContent = silos.length;
  $("n-crossings").textContent = crossings.length;
  $("n-allowed").textContent = crossings.filter((f) => f.allowed).length;
  $("n-findings").textContent = data.findings;

  function clear() {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.classList.toggle("searching", state.query !== "");
  }

  function drawSilos() {
    clear();
    pos = null;
    const W = 960, H = 680, cx = W / 2, cy = H / 2;
    svg.setAttribute("width", W);
    svg.setAttribute("height", H);
    const marker = node("marker", {
      // In user units: the arrowhead keeps its size however thick the edge.
      id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 24, markerHeight: 24,
      markerUnits: "userSpaceOnUse", orient: "auto-start-reverse",
    }, node("defs", {}, svg));
    node("path", { d: "M0,0L10,5L0,10z", fill: "#c62828" }, marker);
    const max = Math.max(1, ...bySilo.map((b) => b.length));
    const R = silos.length > 1 ? 250 : 0;
    const at = silos.map((s, i) => {
      const a = -Math.PI / 2 + (2 * Math.PI * i) / silos.length;
      return { x: cx + R * Math.cos(a), y: cy + R * Math.sin(a), r: 45 + 35 * Math.sqrt(bySilo[i].length / max) };
    });
    // Crossing keys by (child silo, parent silo).
    const flows = new Map();
    for (const f of crossings) {
      const k = tables[f.child][1] + ">" + tables[f.parent][1];
      if (!flows.has(k)) flows.set(k, []);
      flows.get(k).push(f);
    }
    const edges = node("g", {}, svg);
    for (const [k, list] of flows) {
      const [a, b] = k.split(">").map(Number);
      const p = at[a], q = at[b];
      const dx = q.x - p.x, dy = q.y - p.y, d = Math.hypot(dx, dy) || 1;
      // Two silos crossing both ways get two arcs, one on each side.
      const nx = -dy / d, ny = dx / d, bend = 40;
      const mx = (p.x + q.x) / 2 + nx * bend, my = (p.y + q.y) / 2 + ny * bend;
      const sx = p.x + (dx / d) * p.r, sy = p.y + (dy / d) * p.r;
      const ex = q.x - (dx / d) * q.r, ey = q.y - (dy / d) * q.r;
      const g = node("g", { class: "flow-g", "data-from": silos[a].name, "data-to": silos[b].name }, edges);
      node("path", {
        class: "flow",
        d: `M${sx},${sy} Q${mx},${my} ${ex},${ey}`,
        "stroke-width": 1.5 + Math.log2(list.length),
        "marker-end": "url(#arrow)",
      }, g);
      node("text", { class: "count", x: mx, y: my, "data-count": list.length }, g, String(list.length));
      g.addEventListener("click", () => showFlow(a, b, list));
    }
    at.forEach((p, i) => {
      const g = node("g", { class: "silo", "data-silo": silos[i].name }, svg);
      node("circle", { cx: p.x, cy: p.y, r: p.r, fill: color(i), stroke: color(i) }, g);
      node("text", { class: "sname", x: p.x, y: p.y - 8 }, g, silos[i].name);
      node("text", { x: p.x, y: p.y + 9 }, g, `${bySilo[i].length} tables`);
      node("text", { x: p.x, y: p.y + 25 }, g, silos[i].role);
      g.addEventListener("click", () => showSilo(i));
    });
    if (flows.size === 0) node("text", { class: "count none", x: cx, y: H - 20 }, svg, "No foreign key crosses a silo boundary.");
  }

  function drawTables() {
    clear();
    // Boxes wrap at the width of the window's drawing area.
    const CW = 200, CH = 20, PAD = 10, HEAD = 26, GAP = 24;
    const MAXW = Math.max(2 * CW + 2 * PAD + 2 * GAP, $("canvas").clientWidth - GAP);
    pos = new Array(tables.length);
    // Each silo a box of its tables in a grid, boxes flowing left to right.
    let x = GAP, y = GAP, rowH = 0, width = 0;
    const boxes = [];
    bySilo.forEach((list, s) => {
      if (list.length === 0) return;
      const fit = Math.max(1, Math.floor((MAXW - 2 * GAP - 2 * PAD) / CW));
      const cols = Math.max(1, Math.min(8, fit, Math.ceil(Math.sqrt(list.length / 4))));
      const rows = Math.ceil(list.length / cols);
      const w = cols * CW + 2 * PAD, h = HEAD + rows * CH + PAD;
      if (x > GAP && x + w > MAXW) {
        x = GAP;
        y += rowH + GAP;
        rowH = 0;
      }
      boxes.push({ s, x, y, w, h, cols, list });
      list.forEach((t, k) => {
        pos[t] = { x: x + PAD + (k % cols) * CW + (CW - 6) / 2, y: y + HEAD + Math.floor(k / cols) * CH + (CH - 4) / 2 };
      });
      x += w + GAP;
      width = Math.max(width, x);
      rowH = Math.max(rowH, h);
    });
    svg.setAttribute("width", Math.max(width, 400));
    svg.setAttribute("height", y + rowH + GAP);
    const groups = node("g", {}, svg);
    const lines = node("g", { id: "crossing-lines" }, svg);
    node("g", { id: "selection" }, svg);
    const cells = node("g", {}, svg);
    for (const b of boxes) {
      const g = node("g", { class: "group", "data-silo": silos[b.s].name }, groups);
      node("rect", { class: "box", x: b.x, y: b.y, width: b.w, height: b.h, rx: 6, fill: color(b.s), stroke: color(b.s) }, g);
      node("text", { class: "gname", x: b.x + PAD, y: b.y + 17 }, g, `${silos[b.s].name} (${b.list.length})`);
    }
    for (const f of crossings) {
      const p = pos[f.child], q = pos[f.parent];
      node("line", { class: "crossing", x1: p.x, y1: p.y, x2: q.x, y2: q.y }, lines);
    }
    lines.style.display = $("show-crossings").checked ? "" : "none";
    tables.forEach((t, i) => {
      const p = pos[i];
      const g = node("g", { class: "table", "data-i": i, "data-name": t[0] }, cells);
      node("rect", { x: p.x - (CW - 6) / 2, y: p.y - (CH - 4) / 2, width: CW - 6, height: CH - 4, rx: 3 }, g);
      const label = t[0].length > 31 ? t[0].slice(0, 30) + "…" : t[0];
      node("text", { x: p.x - (CW - 6) / 2 + 4, y: p.y + 4 }, g, label);
      node("title", {}, g, `${t[0]} (${silos[t[1]].name})`);
    });
    search(state.query);
    if (state.selected !== null) mark(state.selected);
  }

  function setView(v) {
    state.view = v;
    $("tab-silos").setAttribute("aria-pressed", v === "silos");
    $("tab-tables").setAttribute("aria-pressed", v === "tables");
    if (v === "silos") drawSilos();
    else drawTables();
  }

  function cell(i) {
    return svg.querySelector(`g.table[data-i="${i}"]`);
  }

  // Draws table i's keys and closure over the tables view.
  function mark(i) {
    for (const e of svg.querySelectorAll("g.table.selected, g.table.reach")) e.classList.remove("selected", "reach");
    const layer = $("selection");
    if (!layer) return;
    while (layer.firstChild) layer.removeChild(layer.firstChild);
    const line = (f, cls) => {
      const p = pos[fks[f].child], q = pos[fks[f].parent];
      node("line", { class: cls, x1: p.x, y1: p.y, x2: q.x, y2: q.y }, layer);
    };
    for (const s of data.closures[i] || []) {
      line(s[0], "step");
      cell(fks[s[0]].child).classList.add("reach");
    }
    for (const f of out[i].concat(inc[i])) line(f, fks[f].crosses ? "edge crossing" : "edge");
    const c = cell(i);
    c.classList.add("selected");
    if (c.scrollIntoView) c.scrollIntoView({ block: "center", inline: "center" });
  }

  function keyItem(ul, f, other) {
    const k = fks[f];
    const li = html("li", ul);
    li.className = "key";
    html("span", li, other === k.parent ? "→ " : "← ");
    tableLink(li, other);
    html("span", li, ` (${other === k.parent ? k.pcols : k.cols}) via ${k.name} · on delete ${k.action} · ${k.at}`, "muted");
    if (k.crosses) html("span", li, k.allowed ? " ✗ crosses (allowed)" : " ✗ crosses", "cross");
  }

  // The click on a table: its silo, its keys, its closure.
  function select(i) {
    state.selected = i;
    if (state.view !== "tables") setView("tables");
    mark(i);
    details.textContent = "";
    html("h2", details, tables[i][0]);
    html("p", details, `silo ${silos[tables[i][1]].name} (${silos[tables[i][1]].role})`, "muted");
    html("h3", details, `References (${out[i].length})`);
    const o = html("ul", details);
    o.id = "references";
    out[i].forEach((f) => keyItem(o, f, fks[f].parent));
    html("h3", details, `Referenced by (${inc[i].length})`);
    const r = html("ul", details);
    r.id = "referenced-by";
    inc[i].forEach((f) => keyItem(r, f, fks[f].child));
    const steps = data.closures[i];
    if (steps === null) {
      // A large plan's page holds the closures of its first tables only.
      html("h3", details, "Deleting one row reaches");
      html("p", details, `not in this page (the plan is large): \`silo-plan explain ${tables[i][0]}\` lists it`, "muted");
      return;
    }
    html("h3", details, `Deleting one row reaches (${steps.length} steps)`);
    const ol = html("ol", details);
    ol.id = "closure";
    if (steps.length === 0) html("li", ol, "nothing: no foreign key references it", "muted");
    for (const [f, depth, flags] of steps) {
      const k = fks[f];
      const li = html("li", ol);
      li.className = "step";
      li.dataset.table = tables[k.child][0];
      li.style.paddingLeft = `${(depth - 1) * 14}px`;
      const verb = { cascade: "delete", "set-null": "set null", "set-default": "set default" }[k.action] || k.action;
      html("span", li, `└ ${verb} `);
      tableLink(li, k.child);
      html("span", li, ` [${silos[tables[k.child][1]].name}] via ${k.name}`, "muted");
      if (flags & 1) html("span", li, " ✗", "cross");
      if (flags & 2) html("span", li, " (reached above)", "muted");
    }
    if (omitted.has(i)) html("p", details, `… and ${omitted.get(i)} more steps: \`silo-plan explain ${tables[i][0]}\` lists them all`, "muted");
  }

  function showFlow(a, b, list) {
    details.textContent = "";
    html("h2", details, `${silos[a].name} → ${silos[b].name}`);
    html("p", details, `${list.length} foreign keys from tables of ${silos[a].name} to tables of ${silos[b].name}`, "muted");
    const ul = html("ul", details);
    ul.id = "flow";
    for (const k of list) {
      const li = html("li", ul);
      tableLink(li, k.child);
      html("span", li, " → ");
      tableLink(li, k.parent);
      html("span", li, ` via ${k.name} · on delete ${k.action}${k.allowed ? " · allowed" : ""}`, "muted");
    }
  }

  function showSilo(s) {
    details.textContent = "";
    html("h2", details, silos[s].name);
    html("p", details, `${bySilo[s].length} tables (${silos[s].role})`, "muted");
    const ul = html("ul", details);
    for (const t of bySilo[s]) tableLink(html("li", ul), t);
  }

  // Marks the tables whose name holds `q` (ignoring case) and lists them.
  function search(q) {
    state.query = q;
    const needle = q.toLowerCase();
    const hits = needle === "" ? [] : tables.map((t, i) => i).filter((i) => tables[i][0].toLowerCase().includes(needle));
    svg.classList.toggle("searching", needle !== "");
    if (pos) {
      for (const e of svg.querySelectorAll("g.table.match")) e.classList.remove("match");
      for (const i of hits) cell(i).classList.add("match");
    }
    return hits;
  }

  function listHits(hits) {
    details.textContent = "";
    html("h2", details, `${hits.length} tables match “${state.query}”`);
    const ul = html("ul", details);
    ul.id = "matches";
    for (const i of hits.slice(0, 200)) tableLink(html("li", ul), i);
    if (hits.length > 200) html("p", details, `… and ${hits.length - 200} more`, "muted");
  }

  function intro() {
    details.textContent = "";
    html("h2", details, "How to read this");
    html("p", details, "Silos: one circle per silo, sized by its tables; a red arrow from a silo to another counts the foreign keys of its tables that reference the other's (click it for the list).");
    html("p", details, "Tables: each silo a box; red dashed lines are the crossing keys. Click a table for its keys and for what deleting one of its rows reaches (its cascade closure, orange). Search by name above.");
  }

  $("tab-silos").addEventListener("click", () => setView("silos"));
  $("tab-tables").addEventListener("click", () => setView("tables"));
  $("show-crossings").addEventListener("change", (ev) => {
    const l = $("crossing-lines");
    if (l) l.style.display = ev.target.checked ? "" : "none";
  });
  $("search").addEventListener("input", (ev) => {
    const hits = search(ev.target.value.trim());
    if (state.query === "") intro();
    else listHits(hits);
  });
  $("search").addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    const hits = search(ev.target.value.trim());
    if (hits.length > 0) select(hits[0]);
  });
  svg.addEventListener("click", (ev) => {
    const g = ev.target.closest && ev.target.closest("g.table");
    if (g) select(Number(g.dataset.i));
  });

  const params = new URLSearchParams(location.search);
  intro();
  setView(params.get("view") || (tables.length > 300 ? "silos" : "tables"));
  if (params.has("q")) {
    $("search").value = params.get("q");
    listHits(search(params.get("q").trim()));
  }
  if (params.has("select")) {
    const name = params.get("select");
    const i = byName.has(name) ? byName.get(name) : byName.get("public." + name);
    if (i === undefined) {
      details.textContent = "";
      html("p", details, `No table named ${name}.`, "cross");
    } else {
      if (state.view !== "tables") setView("tables");
      // The same path as a click of the mouse: an event on the table's node.
      cell(i).dispatchEvent(new MouseEvent("click", { bubbles: true }));
    }
  }
})();
