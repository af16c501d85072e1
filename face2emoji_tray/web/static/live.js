// The live preview: webcam frames and uploaded photos, read with the user's own profile.
import { $, SIDE, info, post, setEmoji, bars, startCamera, grabber, sleep } from "./common.js";

const FRAME_MS = 200;  // 5 frames per second is plenty for a preview

function showLive(data, video) {
  const name = data.label || (data.faces ? "unsure" : "no_face");
  setEmoji($("emoji"), name, data.emoji || (data.faces ? "🤔" : "😶"));
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

async function watch() {
  const video = $("video");
  try {
    await startCamera(video);
  } catch (e) {
    $("camera-status").textContent = `Live view off: ${e.message}. Photos still work.`;
    return;
  }
  $("camera-status").textContent = "Camera on.";
  const grab = grabber(video);
  for (;;) {
    const started = performance.now();
    try {
      showLive(await post(`/api/frame?session=${info.session}`, await grab()), video);
      $("camera-status").textContent = "Camera on.";
    } catch (e) {
      $("camera-status").textContent = `Server: ${e.message}`;
    }
    await sleep(FRAME_MS - (performance.now() - started));
  }
}

async function photo(file) {
  $("photo-error").textContent = "";
  setEmoji($("photo-emoji"), null, "");
  $("photo-label").textContent = "…";
  bars($("photo-bars"), null);
  try {
    const data = await post("/api/photo", file);
    setEmoji($("photo-emoji"), data.label, data.emoji);
    $("photo-label").textContent = data.label || (data.faces ? "unsure" : "no face found");
    bars($("photo-bars"), data.probs);
  } catch (e) {
    $("photo-label").textContent = "";
    $("photo-error").textContent = e.message;
  }
}

// Whether the user's own profile is in use, and why not where it is broken.
function showProfile() {
  const { used, note } = info.profile;
  $("profile-status").textContent = used ? `Using ${note}.`
    : note ? `Your profile is not used: ${note}.` : "No profile: the model as trained.";
  $("teach").textContent = used || note ? "Teach it my faces again" : "Teach it my faces";
}

export function live() {
  $("file").addEventListener("change", (e) => e.target.files[0] && photo(e.target.files[0]));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files[0]) photo(e.dataTransfer.files[0]);
  });
  $("copy").addEventListener("click", () => navigator.clipboard.writeText($("emoji").dataset.emoji));
  showProfile();
  watch();
}
