// The page: webcam frames and uploaded photos go to this machine's Face2Emoji server.
"use strict";
const FRAME_MS = 200;  // 5 frames per second is plenty for a preview
const SIDE = 320;      // frames are scaled down before they are sent
const $ = (id) => document.getElementById(id);
let session = "", emojiOf = {};

function bars(target, probs) {
  target.replaceChildren();
  if (!probs) return;
  for (const [cls, p] of Object.entries(probs).sort((a, b) => b[1] - a[1])) {
    const row = document.createElement("div");
    row.className = "bar";
    row.innerHTML = `<span>${emojiOf[cls] || ""} ${cls}</span><div><i style="width:${(p * 100).toFixed(0)}%"></i></div><span>${(p * 100).toFixed(0)}%</span>`;
    target.append(row);
  }
}

async function post(url, body) {
  const r = await fetch(url, { method: "POST", body, headers: { "Content-Type": "application/octet-stream" } });
  const data = await r.json();
  if (!r.ok) throw new Error(data.error || `server said ${r.status}`);
  return data;
}

function showLive(data, video) {
  $("emoji").textContent = data.emoji || (data.faces ? "🤔" : "🙈");
  $("label").textContent = data.state;
  $("copy").disabled = !data.emoji;
  bars($("bars"), data.probs);
  const box = $("box");
  if (data.box && video.videoWidth) {
    const k = video.clientWidth / SIDE, [x, y, w, h] = data.box;
    Object.assign(box.style, { left: `${video.clientWidth - (x + w) * k}px`, top: `${y * k}px`, width: `${w * k}px`, height: `${h * k}px` });
    box.hidden = false;
  } else box.hidden = true;
}

async function live() {
  const video = $("video"), canvas = document.createElement("canvas");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  } catch (e) {
    $("camera-status").textContent = `Live view off: ${e.name === "NotAllowedError" ? "camera permission denied" : e.name === "NotFoundError" ? "no camera found" : e.message}. Photos still work.`;
    return;
  }
  video.srcObject = stream;
  await video.play();
  $("camera-status").textContent = "Camera on.";
  canvas.width = SIDE;
  canvas.height = Math.round(SIDE * video.videoHeight / video.videoWidth);
  const ctx = canvas.getContext("2d");
  for (;;) {
    const started = performance.now();
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((ok) => canvas.toBlob(ok, "image/jpeg", 0.85));
    try {
      showLive(await post(`/api/frame?session=${session}`, blob), video);
      $("camera-status").textContent = "Camera on.";
    } catch (e) {
      $("camera-status").textContent = `Server: ${e.message}`;
    }
    await new Promise((ok) => setTimeout(ok, Math.max(0, FRAME_MS - (performance.now() - started))));
  }
}

async function photo(file) {
  $("photo-error").textContent = "";
  $("photo-emoji").textContent = "";
  $("photo-label").textContent = "…";
  bars($("photo-bars"), null);
  try {
    const data = await post("/api/photo", file);
    $("photo-emoji").textContent = data.emoji;
    $("photo-label").textContent = data.label || (data.faces ? "unsure" : "no face found");
    bars($("photo-bars"), data.probs);
  } catch (e) {
    $("photo-label").textContent = "";
    $("photo-error").textContent = e.message;
  }
}

function wire() {
  $("file").addEventListener("change", (e) => e.target.files[0] && photo(e.target.files[0]));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files[0]) photo(e.dataTransfer.files[0]);
  });
  $("copy").addEventListener("click", () => navigator.clipboard.writeText($("emoji").textContent));
}

(async () => {
  wire();
  ({ session, emoji: emojiOf } = await (await fetch("/api/session")).json());
  live();
})();
