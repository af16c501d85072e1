// What the live preview and "Teach it my faces" share: the server's API, the camera, emoji.
export const SIDE = 320;  // frames are scaled down to this width before they are sent
export const $ = (id) => document.getElementById(id);
export const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
// Filled from /api/session: this view's session, the configured emoji, the bundled pictures.
export const info = { session: "", emoji: {}, pictures: {}, classes: [], profile: {} };

// The run's secret (web/access.py): the file `face2emoji web` opens hands it over in the URL's
// fragment (#s=…), which no server receives. Kept in this tab's sessionStorage (this origin
// only) so a reload keeps working, and taken out of the address bar before any request.
const KEPT = "face2emoji-secret";
const given = new URLSearchParams(location.hash.slice(1)).get("s");
if (given) {
  sessionStorage.setItem(KEPT, given);
  history.replaceState(history.state, "", location.pathname + location.search);
}
export const SECRET = sessionStorage.getItem(KEPT);

// This tab was not opened from Face2Emoji (or the preview was restarted since): say how to.
export function notOpened() {
  sessionStorage.removeItem(KEPT);
  $("not-opened").hidden = false;
}

// Every API call: a POST (so the browser sends our Origin) with the run's secret. Errors carry
// the HTTP status (403: the secret is missing or from another run).
export async function post(url, body) {
  const r = await fetch(url, {
    method: "POST", body,
    headers: { "Content-Type": "application/octet-stream", "X-Face2Emoji-Secret": SECRET || "" },
  });
  const data = await r.json();
  if (!r.ok) throw Object.assign(new Error(data.error || `server said ${r.status}`), { status: r.status });
  return data;
}

// The bundled Noto picture of `name` where there is one, so the emoji is in colour also where
// the system lacks a colour emoji font; the configured emoji as text otherwise.
export function emojiNode(name, text = info.emoji[name] || "") {
  if (!info.pictures[name]) return document.createTextNode(text);
  const img = new Image();
  img.src = info.pictures[name];
  img.alt = text;
  img.className = "pic";
  return img;
}

// Show `name`'s emoji in `target`, the text in data-emoji for Copy; an emoji already shown is
// left alone, so the live view does not make a new picture five times a second.
export function setEmoji(target, name, text = info.emoji[name] || "") {
  if (target.dataset.name === (name || "") && target.dataset.emoji === text) return;
  target.replaceChildren(name ? emojiNode(name, text) : "");
  Object.assign(target.dataset, { name: name || "", emoji: text });
}

export function bars(target, probs) {
  target.replaceChildren();
  if (!probs) return;
  for (const [cls, p] of Object.entries(probs).sort((a, b) => b[1] - a[1])) {
    const row = document.createElement("div"), name = document.createElement("span");
    row.className = "bar";
    name.append(emojiNode(cls), ` ${cls}`);
    row.append(name);
    row.insertAdjacentHTML("beforeend", `<div><i style="width:${(p * 100).toFixed(0)}%"></i></div><span>${(p * 100).toFixed(0)}%</span>`);
    target.append(row);
  }
}

// The webcam in `video`, or an Error whose message says in words why not.
export async function startCamera(video) {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  } catch (e) {
    throw new Error(e.name === "NotAllowedError" ? "camera permission denied"
      : e.name === "NotFoundError" ? "no camera found" : e.message);
  }
  video.srcObject = stream;
  await video.play();
}

// A function that gives the video's current frame as a SIDE-wide JPEG.
export function grabber(video) {
  const canvas = document.createElement("canvas");
  canvas.width = SIDE;
  canvas.height = Math.round(SIDE * video.videoHeight / video.videoWidth);
  const ctx = canvas.getContext("2d");
  return () => {
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((ok) => canvas.toBlob(ok, "image/jpeg", 0.85));
  };
}
