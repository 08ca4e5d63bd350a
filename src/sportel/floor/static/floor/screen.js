// The information screen: poll the state every POLL ms (measured in bench/floor_screen.py:
// a call reaches the screen within POLL + one request), announce new calls with a chime and,
// where the browser has a voice for the page's language, speech. After a lost connection or a
// server restart it keeps retrying (backing off to 5 s) and says so on the screen, and picks
// up where it was without a reload.
const POLL = 400;
const MAX_BACKOFF = 5000;
const PANEL_SECONDS = 12;
const body = document.body;
const stateUrl = body.dataset.floorState;
const lang = body.dataset.floorLang || "sq";
const calls = document.getElementById("calls");
const waits = document.getElementById("waits");
const panelBox = document.getElementById("panel");
const status = document.getElementById("screen-status");
const soundButton = document.getElementById("sound-on");
const seen = new Set([...calls.querySelectorAll("tr[data-call]")].map((row) => row.dataset.call));
let failures = 0;
let panels = [];
let panelIndex = 0;
let audio;

function text(tag, value, className) {
  const el = document.createElement(tag);
  el.textContent = value;
  if (className) el.className = className;
  return el;
}

function chime() {
  try {
    audio = audio || new AudioContext();
    if (audio.state === "suspended") {
      soundButton.hidden = false;
      return;
    }
    const now = audio.currentTime;
    for (const [i, freq] of [659.25, 523.25].entries()) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + i * 0.45);
      gain.gain.exponentialRampToValueAtTime(0.4, now + i * 0.45 + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.45 + 0.6);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.45);
      osc.stop(now + i * 0.45 + 0.65);
    }
  } catch {
    /* no audio on this screen: the flash is enough */
  }
}

function speak(call) {
  if (!("speechSynthesis" in window)) return;
  const voice = speechSynthesis.getVoices().find((v) => v.lang.toLowerCase().startsWith(lang));
  if (!voice) return; // no voice for Albanian here: the chime and the screen say it
  const [letter, digits] = call.number.split("-");
  const words = calls.dataset.speech
    .replace("%(number)s", `${letter} ${Number.parseInt(digits, 10)}`)
    .replace("%(counter)s", String(call.counter));
  const utterance = new SpeechSynthesisUtterance(words);
  utterance.voice = voice;
  utterance.lang = voice.lang;
  utterance.rate = 0.9;
  setTimeout(() => speechSynthesis.speak(utterance), 1000);
}

function renderCalls(list) {
  const tbody = calls.tBodies[0];
  const fresh = list.filter((call) => !seen.has(call.id));
  tbody.replaceChildren(
    ...list.map((call, i) => {
      const row = document.createElement("tr");
      row.dataset.call = call.id;
      if (i === 0) row.classList.add("floor-screen__latest");
      if (fresh.includes(call)) row.classList.add("floor-screen__flash");
      row.append(text("td", call.number), text("td", String(call.counter)));
      return row;
    }),
  );
  if (!list.length) {
    const row = document.createElement("tr");
    const cell = text("td", "—");
    cell.colSpan = 2;
    row.append(cell);
    tbody.append(row);
  }
  for (const call of fresh.reverse()) {
    seen.add(call.id);
    chime();
    speak(call);
  }
  body.dataset.lastCall = list.length ? list[0].id : "";
}

function renderWaits(list) {
  waits.replaceChildren(
    ...list.map((row) => {
      const li = document.createElement("li");
      const minutes =
        row.minutes === null
          ? waits.dataset.closed
          : waits.dataset.minutes.replace("%(minutes)s", row.minutes);
      li.append(
        text("span", row.letter, "floor-screen__letter"),
        ` ${row.name}: ${waits.dataset.people.replace("%(count)s", row.waiting)}, ${minutes}`,
      );
      return li;
    }),
  );
}

function showPanel() {
  if (!panels.length) {
    panelBox.replaceChildren();
    return;
  }
  const panel = panels[panelIndex % panels.length];
  panelIndex += 1;
  const list = document.createElement("ul");
  for (const [label, value] of panel.rows) {
    const li = text("li", `${label} `);
    li.append(text("strong", value));
    list.append(li);
  }
  panelBox.replaceChildren(text("h2", panel.title, "floor-screen__heading"), list);
}

async function poll() {
  const controller = new AbortController();
  const timeout = setTimeout(() => controller.abort(), 3000);
  try {
    const response = await fetch(stateUrl, {
      cache: "no-store",
      signal: controller.signal,
      headers: { Accept: "application/json" },
    });
    if (response.status === 403 || response.status === 404) {
      window.location.reload(); // revoked or gone: the server's page says so
      return;
    }
    if (!response.ok) throw new Error(String(response.status));
    const state = await response.json();
    renderCalls(state.calls);
    renderWaits(state.waits);
    const before = panels.length;
    panels = state.panels;
    if (!before && panels.length) showPanel();
    failures = 0;
    status.textContent = "";
    body.dataset.online = "1";
  } catch {
    failures += 1;
    status.textContent = status.dataset.offline;
    body.dataset.online = "0";
  } finally {
    clearTimeout(timeout);
    const wait = failures ? Math.min(MAX_BACKOFF, POLL * 2 ** failures) : POLL;
    setTimeout(poll, wait);
  }
}

soundButton.addEventListener("click", async () => {
  audio = audio || new AudioContext();
  await audio.resume();
  soundButton.hidden = true;
});
setInterval(showPanel, PANEL_SECONDS * 1000);
if ("speechSynthesis" in window) speechSynthesis.getVoices();
setTimeout(poll, POLL);
