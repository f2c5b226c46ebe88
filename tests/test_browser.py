"""`rig data export STORE page.html`: the episode browser, checked in a real headless Chromium.

The page is judged by what the browser draws (element screenshots compared with the frames
themselves), and by what its keys do, not by parsing the HTML.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from rig.agents.base import Decision
from rig.trajectories import EpisodeBuilder, TrajectoryStore

needs_browser = pytest.mark.skipif(
    not (shutil.which("chromium") or os.environ.get("MINIWOB_CHROME_BINARY"))
    or not (shutil.which("chromedriver") or os.environ.get("MINIWOB_CHROMEDRIVER")),
    reason="Chromium and chromedriver are not installed (scripts/setup.sh installs them)")

HOSTILE = "</script><b>bold</b> & <img src=x onerror=alert(1)>"


def _frame(t: int) -> np.ndarray:
    """16x16 frames a screenshot can tell apart: a colour per step and a bright corner."""
    frame = np.zeros((16, 16, 3), np.uint8)
    frame[..., t % 3] = 200
    frame[:4, :4] = 255
    return frame


def _store(path):
    builder = EpisodeBuilder("rig/Crafter-v0", 7, "rig:test", task_text="Survive.")
    for t in range(3):
        imagined = np.full((16, 16, 3), (30, 220, 90), np.uint8) if t == 0 else None
        decision = Decision(action=t, action_text=f"act_{t}", reasoning=f"step {t}: {HOSTILE}",
                            imagined_frame=imagined,
                            review="looks right" if t == 0 else None)
        builder.add_step({"image": _frame(t), "text": f"health {9 - t}/9"}, decision,
                         1.0 if t == 1 else 0.0, terminated=t == 2, truncated=False, info={})
    with TrajectoryStore.open(path, "a") as store:
        store.append_episode(builder)
    return path


def _shot(element) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(element.screenshot_as_png)).convert("RGB"))


def _drawn_as(shot: np.ndarray, frame: np.ndarray) -> float:
    """Mean absolute difference between a screenshot and the frame scaled to its size
    (nearest neighbour, as the page's pixelated rendering draws it)."""
    from PIL import Image

    expected = np.asarray(Image.fromarray(frame).resize(shot.shape[1::-1], Image.NEAREST))
    return float(np.abs(shot.astype(int) - expected.astype(int)).mean())


@needs_browser
def test_episode_page_shows_frames_imagination_reasoning_and_steps(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    store = _store(tmp_path / "episode.zarr")
    page = tmp_path / "episode.html"
    out = subprocess.run([sys.executable, "-m", "rig", "data", "export", str(store), str(page)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "wrote" in out.stdout and page.stat().st_size > 1000

    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("MINIWOB_CHROME_BINARY") or shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1100,1200",
                 "--force-device-scale-factor=1"):
        options.add_argument(flag)
    service = Service(os.environ.get("MINIWOB_CHROMEDRIVER") or shutil.which("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.get(page.as_uri())
        real, imagined = driver.find_element(By.ID, "real"), driver.find_element(By.ID, "imagined")
        following = driver.find_element(By.ID, "next")
        assert _drawn_as(_shot(real), _frame(0)) < 8
        assert _drawn_as(_shot(following), _frame(1)) < 8
        green = np.full((16, 16, 3), (30, 220, 90), np.uint8)
        assert _drawn_as(_shot(imagined), green) < 8  # what the agent expected to see
        # the agent's words are shown as text, never run or parsed as HTML
        assert driver.find_element(By.ID, "reasoning").text == f"step 0: {HOSTILE}"
        assert driver.find_element(By.ID, "review").text == "looks right"
        assert driver.execute_script("return document.querySelectorAll('b').length") == 0
        # the right arrow moves one step: the frames, the words and the return follow
        driver.find_element(By.TAG_NAME, "body").send_keys("\ue014")  # ArrowRight
        assert _drawn_as(_shot(real), _frame(1)) < 8
        assert not imagined.is_displayed()  # step 1 imagined nothing
        assert driver.find_element(By.ID, "action").text == "act_1"
        assert "return 1.0" in driver.find_element(By.ID, "position").text
        assert driver.find_element(By.ID, "obs").text == "health 8/9"
    finally:
        driver.quit()
