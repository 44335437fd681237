// Lockstep operator console: plain JS, no build step. Reads the management routes with the
// operator token kept in sessionStorage; refreshes the visible view once a second.
(function () {
  "use strict";
  const TOKEN_KEY = "lockstep.operatorToken";
  const $ = (id) => document.getElementById(id);
  let merchant = null;   // the merchant shown, or null for the fleet view
  let historyAt = null;  // null: live; a seq: the merchant replayed at that seq
  let timer = null;

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  async function get(path) {
    const response = await fetch(path, { headers: { Authorization: "Bearer " + token() } });
    if (response.status === 401 || response.status === 403) {
      signOut("the token was refused (" + response.status + ")");
      throw new Error("unauthorized");
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(path + ": " + (body.detail || response.status));
    return body;
  }

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text === undefined || text === null ? "" : String(text);
    return td;
  }

  function fill(tableId, rows, onClick) {
    const tbody = $(tableId).querySelector("tbody");
    tbody.replaceChildren(...rows.map((values) => {
      const tr = document.createElement("tr");
      values.cells.forEach((v) => tr.appendChild(cell(v)));
      if (values.key !== undefined) tr.dataset.key = values.key;
      if (onClick) { tr.classList.add("clickable"); tr.addEventListener("click", () => onClick(values.key)); }
      return tr;
    }));
  }

  const shortNode = (n) => (n || "").replace(/^pekko:\/\/[^@]*@/, "");
  const when = (millis) => (!millis || millis === "0") ? "" : new Date(Number(millis)).toLocaleTimeString();

  async function refreshFleet() {
    const [members, rebalance, hot, lag] = await Promise.all([
      get("/cluster/members"),
      get("/lockstep/rebalance").catch(() => null),
      get("/lockstep/hot-merchants?top=10"),
      get("/lockstep/lag?top=20"),
    ]);
    fill("members", (members.members || []).map((m) => ({ key: m.node, cells: [shortNode(m.node), m.status, (m.roles || []).join(", ")] })));
    if (rebalance) {
      $("imbalance").textContent = "imbalance " + Number(rebalance.imbalance || 1).toFixed(2) + (rebalance.enabled ? "" : " (rebalancer off)");
      fill("nodes", (rebalance.nodes || []).map((n) => ({ key: n.node, cells: [shortNode(n.node), Number(n.load || 0).toFixed(1), n.shards] })));
    }
    const merchants = hot.merchants || [];
    fill("hot", merchants.map((m) => ({ key: m.merchantId, cells: [m.merchantId, Number(m.mutationsPerSecond || 0).toFixed(1), m.connectedDevices, m.headSeq, shortNode(m.node)] })), openMerchant);
    fill("lag", (lag.devices || []).map((d) => ({ key: d.merchantId + "/" + d.deviceId, cells: [d.merchantId, d.deviceId, d.writtenP99Millis, d.appliedP99Millis] })));
    const overviews = await Promise.all(merchants.slice(0, 5).map((m) => get("/lockstep/merchants/" + encodeURIComponent(m.merchantId) + "/overview").catch(() => null)));
    const conflicts = [];
    overviews.filter(Boolean).forEach((o) => (o.conflicts || []).forEach((c) => conflicts.push([o.merchantId, c])));
    conflicts.sort((a, b) => Number(b[1].seq) - Number(a[1].seq));
    fill("fleet-conflicts", conflicts.slice(0, 20).map(([m, c]) => ({ cells: [m, c.seq, c.recordId, c.field, c.rule, c.detail] })));
  }

  function showRecords(state) {
    fill("items", (state.items || []).map((i) => ({ key: i.itemId, cells: [i.itemId, i.name, i.stock || 0, i.priceCents || 0] })));
    fill("orders", (state.orders || []).map((o) => ({ key: o.orderId, cells: [o.orderId, o.state, (o.lines || []).length, (o.payments || []).length] })));
    fill("conflicts", (state.conflicts || []).slice(-50).reverse().map((c) => ({ cells: [c.seq, c.recordId, c.field, c.rule, c.detail] })));
  }

  async function refreshMerchant() {
    const id = encodeURIComponent(merchant);
    const now = await get("/lockstep/merchants/" + id + "/overview");
    const head = Number(now.headSeq || 0);
    $("head-seq").textContent = head;
    const slider = $("history-slider");
    slider.max = head;
    if (historyAt === null) slider.value = head;
    fill("devices", (now.devices || []).map((d) => ({ key: d.deviceId, cells: [d.deviceId, d.connected ? "yes" : "no", d.appliedSeq || 0, d.lagP99Millis || "", when(d.lastSeenMillis)] })));
    if (historyAt === null) {
      $("history-seq").textContent = "live (" + head + ")";
      showRecords(now);
    } else {
      $("history-seq").textContent = String(historyAt);
      showRecords(await get("/lockstep/merchants/" + id + "/history?at=" + historyAt));
    }
  }

  async function refresh() {
    try {
      if (merchant === null) await refreshFleet(); else await refreshMerchant();
      $("error").textContent = "";
      $("status").textContent = "updated " + new Date().toLocaleTimeString();
    } catch (e) {
      if (e.message !== "unauthorized") $("error").textContent = e.message;
    }
  }

  function schedule() {
    clearInterval(timer);
    refresh();
    timer = setInterval(refresh, 1000);
  }

  function openMerchant(id) {
    merchant = id;
    historyAt = null;
    $("merchant-name").textContent = id;
    $("merchant-id").value = id;
    $("fleet").hidden = true;
    $("merchant").hidden = false;
    location.hash = "merchant=" + encodeURIComponent(id);
    schedule();
  }

  function openFleet() {
    merchant = null;
    $("fleet").hidden = false;
    $("merchant").hidden = true;
    schedule();
  }

  function signIn() {
    $("login").hidden = true;
    $("app").hidden = false;
    $("sign-out").hidden = false;
    const m = /^#merchant=(.+)$/.exec(location.hash);
    if (m) openMerchant(decodeURIComponent(m[1])); else openFleet();
  }

  function signOut(reason) {
    clearInterval(timer);
    sessionStorage.removeItem(TOKEN_KEY);
    $("login").hidden = false;
    $("app").hidden = true;
    $("sign-out").hidden = true;
    $("status").textContent = "not signed in";
    $("login-error").textContent = reason || "";
  }

  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const value = $("token").value.trim();
    if (!value) return;
    sessionStorage.setItem(TOKEN_KEY, value);
    $("token").value = "";
    $("login-error").textContent = "";
    signIn();
  });
  $("sign-out").addEventListener("click", () => signOut(""));
  $("nav-fleet").addEventListener("click", (e) => { e.preventDefault(); location.hash = "fleet"; openFleet(); });
  $("open-merchant").addEventListener("submit", (e) => {
    e.preventDefault();
    const id = $("merchant-id").value.trim();
    if (id) openMerchant(id);
  });
  $("history-slider").addEventListener("input", (e) => {
    const value = Number(e.target.value);
    historyAt = value >= Number(e.target.max) ? null : value;
    refresh();
  });
  $("history-live").addEventListener("click", () => { historyAt = null; refresh(); });

  if (token()) signIn();
})();
