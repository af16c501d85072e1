// The page's two modes: the live preview at /, "Teach it my faces" at /calibrate (or /?calibrate).
import { $, SECRET, info, notOpened, post } from "./common.js";
import { live } from "./live.js";
import { calibrate } from "./calibrate.js";

// The session, or null where this tab has no (valid) secret: the page then says how to open it.
async function session() {
  if (!SECRET) return null;
  try {
    return await post("/api/session");
  } catch (e) {
    if (e.status === 403) return null;
    throw e;
  }
}

const calibrating = location.pathname === "/calibrate" || new URLSearchParams(location.search).has("calibrate");
const started = await session();
if (!started) notOpened();
else {
  Object.assign(info, started);
  $(calibrating ? "calibration" : "preview").hidden = false;
  if (calibrating) {
    document.title = "Face2Emoji: teach it my faces";
    calibrate();
  } else live();
}
