// "Teach it my faces": one face at a time, about two seconds of the camera each (or a photo),
// then a live side-by-side with and without the new profile, then Save. "Add a face…" adds a
// face of the person's own (any emoji, an optional name), taken, retaken and tried the same way.
import { $, info, post, emojiNode, setEmoji, startCamera, grabber, sleep } from "./common.js";

const STEPS = [
  ["neutral", "Look neutral, relaxed"], ["happy", "Smile"],
  ["sad", "Look sad: mouth corners down"], ["angry", "Look angry: frown"],
  ["scared", "Look scared: eyes wide"], ["surprised", "Look surprised: brows up, mouth open"],
  ["wink", "Wink: shut one eye, keep the other open"],
];
const COUNTDOWN = 3;   // seconds to put on the face before frames count
const FRAMES = 10;     // accepted frames per face: two seconds at FRAME_MS
const FRAME_MS = 200;
const REVIEW_MS = 600; // a moment to see the face is done before the next one
const PICKS = ["😛", "😘", "🙄", "🤢", "😎", "🤔", "🥳", "👍"];  // or paste any emoji

let steps = [];        // {cls, prompt, state: todo|active|done|skipped, card}
let run = 0;           // bumped to stop whatever loop (countdown, capture, try) is running
let pending = Promise.resolve();  // the frame in flight: a retake waits for it
let grab = null;       // the camera's frame grabber, null without a camera

const api = (what, cls = "") => `/api/calibrate/${what}?session=${info.session}${cls && `&cls=${encodeURIComponent(cls)}`}`;
const say = (text) => { $("cal-status").textContent = text; };

function mark(step, state, text) {
  step.state = state;
  step.card.dataset.state = state;
  step.card.querySelector(".count").textContent = text;
}

function card(step) {
  const li = document.createElement("li"), pic = document.createElement("span");
  li.className = "step";
  li.dataset.cls = step.cls;
  pic.className = "emoji small";
  pic.append(emojiNode(step.cls));
  li.append(pic);
  li.insertAdjacentHTML("beforeend", `<div><b></b><div class="prompt"></div>
    <div class="count"></div></div><div class="actions"><button type="button" class="redo">Retake</button>
    <label class="photo">Use a photo<input type="file" accept="image/*"></label></div>`);
  li.querySelector("b").textContent = step.cls;  // a name the person typed: text, never markup
  li.querySelector(".prompt").textContent = step.prompt;
  li.querySelector(".redo").addEventListener("click", () => retake(step));  // shown after the steps
  const input = li.querySelector("input");
  input.multiple = !!step.taught;  // a face of your own may come from several photos
  input.addEventListener("change", (e) => e.target.files.length && photos(step, [...e.target.files]));
  if (step.taught) {
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove";
    remove.textContent = "Remove";
    remove.addEventListener("click", () => removeFace(step));
    li.querySelector(".actions").append(remove);
  }
  return li;
}

// Photos instead of the camera: the first replaces what the face had, the others add to it.
async function photos(step, files) {
  let used = 0, why = "";
  for (const file of files) {
    try {
      const data = await post(api("frame", step.cls) + (used ? "" : "&replace=1"), file);
      if (data.accepted) used++;
      else why = data.why;
    } catch (e) {
      why = e.message;
    }
  }
  if (used) mark(step, "done", `✓ from ${used === 1 ? "a photo" : `${used} photos`}`);
  if (why) step.card.querySelector(".count").textContent += `${used ? " " : ""}Photo not used: ${why}.`;
}

// Frames until FRAMES of them showed exactly one face; false if stopped on the way.
async function capture(step, my) {
  let count = 0;
  while (count < FRAMES) {
    const started = performance.now();
    pending = grab().then((blob) => post(api("frame", step.cls), blob));
    const data = await pending;
    if (my !== run) return false;
    count = data.count;
    $("cal-progress").value = count;
    say(data.accepted ? `Hold it… ${count} of ${FRAMES}` : `Not counted: ${data.why}.`);
    await sleep(FRAME_MS - (performance.now() - started));
    if (my !== run) return false;
  }
  return true;
}

const phase = (name) => { $("calibration").dataset.phase = name; };

async function show(step) {
  const my = ++run;
  phase("steps");
  mark(step, "active", "");
  setEmoji($("cal-emoji"), step.cls);
  $("cal-prompt").textContent = step.prompt;
  $("cal-overlay").hidden = false;
  $("cal-progress").value = 0;
  $("try").hidden = true;
  for (const b of ["cal-retake", "cal-skip"]) $(b).disabled = false;
  for (let n = COUNTDOWN; n > 0; n--) {
    $("cal-count").textContent = n;
    say(`${step.prompt}…`);
    await sleep(1000);
    if (my !== run) return;
  }
  $("cal-count").textContent = "";
  try {
    if (!await capture(step, my)) return;
  } catch (e) {
    if (my === run) say(`Server: ${e.message}. Retake or Skip.`);
    return;
  }
  mark(step, "done", `✓ ${FRAMES} frames`);
  say("Got it.");
  await sleep(REVIEW_MS);
  if (my === run) next();
}

function next() {
  const step = steps.find((s) => s.state === "todo");
  if (step) show(step);
  else tryIt();
}

// Stop what runs now, and forget the frames the step had (the one in flight included).
async function drop(step) {
  run++;
  await pending.catch(() => {});
  await post(api("retake", step.cls));
}

async function retake(step) {
  if (!step) return;
  await drop(step);
  show(step);
}

async function skip() {
  const step = steps.find((s) => s.state === "active");
  if (!step) return;
  await drop(step);
  mark(step, "skipped", "skipped");
  next();
}

function reading(target, data) {
  setEmoji(target.querySelector(".emoji"), data.label || (data.faces ? "unsure" : "no_face"));
  const top = data.probs && data.label ? ` ${Math.round(data.probs[data.label] * 100)}%` : "";
  target.querySelector(".label").textContent = data.label ? `${data.label}${top}` : data.faces ? "unsure" : "no face";
}

// One frame or photo read with and without the faces taught so far; false once superseded.
async function tryOne(body, my) {
  try {
    const data = await post(api("try"), body);
    if (my !== run) return false;
    reading($("try-with"), data.with);
    reading($("try-without"), data.without);
    $("try-note").textContent = data.note || (data.active ? "" : "Your faces need at least two classes, or a wink, to make a difference.");
  } catch (e) {
    $("try-note").textContent = `Server: ${e.message}`;
  }
  return my === run;
}

async function tryIt() {
  const my = ++run;
  phase("try");
  $("cal-overlay").hidden = true;
  for (const b of ["cal-retake", "cal-skip"]) $(b).disabled = true;
  $("try").hidden = false;
  say("Done. Try each face now, then Save.");
  while (my === run) {
    const started = performance.now();
    if (!(await tryOne(await grab(), my))) return;
    await sleep(FRAME_MS - (performance.now() - started));
  }
}

// Without a camera (or beside it): a photo is read once, with and without your faces.
async function tryPhoto(file) {
  $("try").hidden = false;
  await tryOne(file, ++run);
}

// "Add a face…": the emoji (pasted or picked) and a name, declared to the server; then the
// face is taken like the others (from the camera now if the steps are done, else in turn), or
// from the photos given.
async function addFace(files) {
  $("add-error").textContent = "";
  const emoji = $("add-emoji").value.trim(), name = $("add-name").value.trim();
  let data;
  try {
    data = await post(`${api("add")}&emoji=${encodeURIComponent(emoji)}&name=${encodeURIComponent(name)}`);
  } catch (e) {
    $("add-error").textContent = `Not added: ${e.message}.`;
    return;
  }
  info.emoji[data.name] = data.emoji;
  let step = steps.find((s) => s.cls === data.name);
  if (step) {
    step.card.querySelector(".emoji").replaceChildren(emojiNode(step.cls));
  } else {
    step = { cls: data.name, prompt: `Make your ${data.emoji} face`, state: "todo", taught: true };
    steps.push(step);
    $("cal-steps").append((step.card = card(step)));
  }
  $("add-emoji").value = $("add-name").value = "";
  $("add-fields").hidden = true;
  if (files) await photos(step, files);
  else if (grab && $("calibration").dataset.phase === "try") retake(step);
}

async function removeFace(step) {
  if (step.state === "active") await drop(step);
  await post(api("remove", step.cls));
  steps = steps.filter((s) => s !== step);
  step.card.remove();
  if (step.state === "active") next();
}

function addForm() {
  const form = document.createElement("form");
  form.id = "add-face";
  form.innerHTML = `<button type="button" id="add-open">Add a face…</button>
    <div id="add-fields" hidden><label>Emoji <input id="add-emoji" maxlength="32" placeholder="paste one or pick"></label>
    <span class="picks"></span><label>Name (optional) <input id="add-name" maxlength="32"></label>
    <button type="submit" id="add-go">Make the face</button>
    <label class="photo">or give photos<input id="add-photos" type="file" accept="image/*" multiple></label></div>
    <p id="add-error" class="error" role="alert"></p>`;
  for (const pick of PICKS) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = pick;
    b.addEventListener("click", () => { $("add-emoji").value = pick; });
    form.querySelector(".picks").append(b);
  }
  form.querySelector("#add-open").addEventListener("click", () => {
    $("add-fields").hidden = false;
    $("add-emoji").focus();
  });
  form.addEventListener("submit", (e) => { e.preventDefault(); addFace(null); });
  form.querySelector("#add-photos").addEventListener("change", (e) => {
    if (e.target.files.length) addFace([...e.target.files]).finally(() => { e.target.value = ""; });
  });
  return form;
}

async function save() {
  $("cal-saved").textContent = "Saving…";
  try {
    const data = await post(api("save"));
    const used = Object.entries(data.classes).map(([c, n]) => `${c} ${n}`).join(", ");
    $("cal-saved").textContent = `Saved your faces (${used}) to ${data.path}. The tray uses them from now on.${data.note ? ` (${data.note}.)` : ""}`;
  } catch (e) {
    $("cal-saved").textContent = `Not saved: ${e.message}.`;
  }
}

export async function calibrate() {
  steps = STEPS.filter(([cls]) => info.teach.includes(cls)).map(([cls, prompt]) => ({ cls, prompt, state: "todo" }));
  $("cal-steps").replaceChildren(...steps.map((s) => (s.card = card(s))));
  $("cal-steps").after(addForm());
  $("cal-progress").max = FRAMES;
  $("cal-start").addEventListener("click", () => { $("cal-start").hidden = true; next(); });
  $("cal-retake").addEventListener("click", () => retake(steps.find((s) => s.state === "active")));
  $("cal-skip").addEventListener("click", skip);
  $("cal-save").addEventListener("click", save);
  $("try-photo").addEventListener("change", (e) => e.target.files[0] && tryPhoto(e.target.files[0]));
  try {
    await startCamera($("cal-video"));
  } catch (e) {
    say(`No camera (${e.message}): give a photo for each face below, try one, then Save.`);
    $("cal-camera").hidden = true;
    $("add-go").hidden = true;  // a face of your own comes from photos too
    $("try").hidden = false;
    phase("photos");
    return;
  }
  grab = grabber($("cal-video"));
  $("cal-start").disabled = false;
  const seconds = steps.length * (COUNTDOWN + (FRAMES * FRAME_MS + REVIEW_MS) / 1000);
  say(`${steps.length} faces, about ${Math.round(seconds)} seconds. Start when you are ready.`);
}
