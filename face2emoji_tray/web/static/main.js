// The page's two modes: the live preview at /, "Teach it my faces" at /calibrate (or /?calibrate).
import { $, info, post } from "./common.js";
import { live } from "./live.js";
import { calibrate } from "./calibrate.js";

const calibrating = location.pathname === "/calibrate" || new URLSearchParams(location.search).has("calibrate");
Object.assign(info, await post("/api/session"));
$(calibrating ? "calibration" : "preview").hidden = false;
if (calibrating) {
  document.title = "Face2Emoji: teach it my faces";
  calibrate();
} else live();
