"""One recorded episode as a static web page: frames, imagined frames, reasoning, review, reward.

Role in the data flow: beside `export.py` at the end of the line (`rig data export STORE
page.html`): for people who would rather look than read. One self-contained HTML file (frames
inlined as PNG data, no server, no network, opens in any browser): at each step the real frame,
the frame the agent imagined would come next and the real next frame side by side, the action,
the reasoning and the review, the observation text, and the return over the episode with the
current step marked. A slider, play/pause and the arrow keys move through the steps.

Everything the agent wrote is data: it goes into the page as JSON (with `</` escaped, so no text
can close the script) and is shown through `textContent`, never parsed as HTML.
"""

from __future__ import annotations

import base64
import html
import io
import json
from typing import Any

import numpy as np
from PIL import Image


def _png(frame: np.ndarray | None) -> str:
    """A frame as a PNG data URI ("" for none or an all-zero placeholder)."""
    if frame is None or not np.asarray(frame).any():
        return ""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(frame, dtype=np.uint8)).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _column(episode: dict[str, Any], key: str, steps: int, default: Any = "") -> list:
    values = episode.get(key)
    return [default] * steps if values is None else list(values)


def page_data(episode: dict[str, Any], max_steps: int | None = None) -> dict[str, Any]:
    """What the page shows, step by step (the JSON the page's script reads)."""
    frames = episode["image"]
    steps = len(frames) if max_steps is None else min(len(frames), max_steps)
    imagined = _column(episode, "imagined_frame", steps, None)
    rewards = [float(r) for r in _column(episode, "reward", steps, 0.0)[:steps]]
    columns = {key: [str(v) for v in _column(episode, key, steps)[:steps]]
               for key in ("action_text", "reasoning", "review", "text")}
    return {
        "frames": [_png(frames[t]) for t in range(steps)],
        "imagined": [_png(imagined[t]) for t in range(steps)],
        "rewards": rewards,
        "returns": np.cumsum(rewards).round(3).tolist(),
        **columns,
    }


def _title(meta: dict[str, Any]) -> str:
    parts = [f"episode {meta.get('index', 0)}"]
    if meta.get("agent") or meta.get("world_id"):
        parts.append(f"{meta.get('agent', '?')} on {meta.get('world_id', '?')}")
    if "seed" in meta:
        parts.append(f"seed {meta['seed']}")
    return ", ".join(parts)


def browser_page(episode: dict[str, Any], max_steps: int | None = None, fps: float = 8.0) -> str:
    """The page for one episode (an `episode()` dict of a store), as HTML text."""
    data = page_data(episode, max_steps)
    payload = json.dumps(data).replace("</", "<\\/")  # no text may end the script early
    title = html.escape(_title(episode.get("meta", {})))
    return (_TEMPLATE.replace("{{title}}", title).replace("{{interval}}", str(int(1000 / fps)))
            .replace("{{data}}", payload))


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>RIG: {{title}}</title>
<style>
 body { background: #18181c; color: #e8e8e8; font: 15px/1.4 sans-serif; margin: 16px; }
 h1 { font-size: 18px; font-weight: 600; margin: 0 0 12px; }
 .frames { display: flex; gap: 16px; }
 figure { margin: 0; }
 figure img, figure .none { width: 256px; height: 256px; image-rendering: pixelated;
   display: block; background: #2a2a30; }
 figure .none { color: #6a6a76; font-size: 13px; text-align: center; line-height: 256px; }
 figcaption { color: #9a9aa6; font-size: 13px; margin-top: 4px; }
 .controls { margin: 12px 0; display: flex; gap: 12px; align-items: center; }
 input[type=range] { width: 520px; }
 .label { color: #9a9aa6; font-size: 12px; text-transform: uppercase; letter-spacing: .05em;
   margin-top: 10px; }
 #action { font: 600 18px monospace; color: #ffd866; }
 #reasoning, #review { max-width: 820px; }
 #obs { color: #b8b8c4; white-space: pre-wrap; font: 13px monospace; }
 svg { background: #202026; display: block; margin-top: 8px; }
</style></head>
<body>
<h1>{{title}}</h1>
<div class="frames">
 <figure><img id="real" alt="real frame"><figcaption>real frame, step <span id="now"></span></figcaption></figure>
 <figure><img id="imagined" alt="imagined next frame"><div id="no-imagined" class="none">nothing imagined at this step</div>
  <figcaption>imagined next frame</figcaption></figure>
 <figure><img id="next" alt="real next frame"><figcaption>real next frame</figcaption></figure>
</div>
<div class="controls"><button id="play">play</button>
 <input id="step" type="range" min="0" value="0"><span id="position"></span></div>
<div class="label">action</div><div id="action"></div>
<div class="label">reasoning</div><div id="reasoning"></div>
<div class="label">review</div><div id="review"></div>
<div class="label">observation</div><div id="obs"></div>
<div class="label">return over the episode (the line marks this step)</div>
<svg id="chart" width="820" height="110"></svg>
<script>
const data = {{data}};
const steps = data.frames.length;
const slider = document.getElementById("step");
slider.max = Math.max(0, steps - 1);
const $ = id => document.getElementById(id);
function picture(img, uri, placeholder) {
  img.style.display = uri ? "block" : "none";
  if (uri) img.src = uri;
  if (placeholder) placeholder.style.display = uri ? "none" : "block";
}
function chart() {
  const svg = $("chart"), w = svg.width.baseVal.value, h = svg.height.baseVal.value;
  const r = data.returns, lo = Math.min(0, ...r), hi = Math.max(1e-9, ...r);
  const x = t => 8 + (w - 16) * t / Math.max(1, steps - 1);
  const y = v => h - 8 - (h - 16) * (v - lo) / (hi - lo || 1);
  const ns = "http://www.w3.org/2000/svg";
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", r.map((v, t) => x(t) + "," + y(v)).join(" "));
  line.setAttribute("fill", "none"); line.setAttribute("stroke", "#78dce8");
  line.setAttribute("stroke-width", "2");
  const mark = document.createElementNS(ns, "line");
  mark.id = "mark"; mark.setAttribute("y1", 0); mark.setAttribute("y2", h);
  mark.setAttribute("stroke", "#ffd866");
  svg.append(line, mark);
  return t => { mark.setAttribute("x1", x(t)); mark.setAttribute("x2", x(t)); };
}
const markAt = chart();
function show(t) {
  t = Math.max(0, Math.min(steps - 1, t));
  slider.value = t;
  picture($("real"), data.frames[t]);
  picture($("imagined"), data.imagined[t], $("no-imagined"));
  picture($("next"), t + 1 < steps ? data.frames[t + 1] : "");
  $("now").textContent = t;
  $("position").textContent = "step " + t + " of " + steps + ", reward " +
    data.rewards[t].toFixed(1) + ", return " + data.returns[t].toFixed(1);
  $("action").textContent = data.action_text[t];
  $("reasoning").textContent = data.reasoning[t] || "(none)";
  $("review").textContent = data.review[t] || "(none)";
  $("obs").textContent = data.text[t];
  markAt(t);
}
let timer = null;
function toggle() {
  if (timer) { clearInterval(timer); timer = null; $("play").textContent = "play"; return; }
  $("play").textContent = "pause";
  timer = setInterval(() => { if (+slider.value >= steps - 1) toggle(); else show(+slider.value + 1); },
                      {{interval}});
}
slider.addEventListener("input", () => show(+slider.value));
$("play").addEventListener("click", toggle);
document.addEventListener("keydown", e => {
  if (e.key === "ArrowRight") show(+slider.value + 1);
  else if (e.key === "ArrowLeft") show(+slider.value - 1);
  else if (e.key === " ") { e.preventDefault(); toggle(); }
});
show(0);
</script>
</body></html>
"""
