"""OCR word recall (`rig.imagination.ocr`): the measurement that says whether small screen text
survives a tokenizer. Runs the real Tesseract binary (installed by scripts/setup.sh)."""

import os
import shutil
from collections import Counter

import numpy as np
import pytest

from rig.imagination.ocr import normalize, evenly_spaced, read_all, word_recall

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None and not os.environ.get("CI"),
    reason="tesseract is not installed (apt-get install tesseract-ocr); CI always has it")


def _screen(text: str) -> np.ndarray:
    """A 210x160 white screenshot with `text` in MiniWoB's size of type (~10 px)."""
    from PIL import Image, ImageDraw, ImageFont
    image = Image.new("RGB", (160, 210), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13)
    for row, line in enumerate(text.split("\n")):
        draw.text((6, 8 + 18 * row), line, fill="black", font=font)
    return np.asarray(image)


def test_normalize_keeps_comparable_words():
    assert normalize('Click on the "Next" button. a |') == ["click", "on", "the", "next", "button"]


def test_word_recall_counts_words_with_multiplicity():
    reference = [Counter({"submit": 2, "form": 1}), Counter()]
    read = [Counter({"submit": 1, "form": 1, "extra": 3}), Counter({"noise": 1})]
    result = word_recall(read, reference)
    assert result["word_recall"] == pytest.approx(2 / 3) and result["words"] == 3
    assert result["frames_all_words"] == 0.0    # the one frame with text lost a "submit"
    assert word_recall(reference, reference)["frames_all_words"] == 1.0
    with pytest.raises(ValueError):
        word_recall(read[:1], reference)
    assert evenly_spaced(np.zeros(10), 3).tolist() == [0, 4, 9]


@needs_tesseract
def test_ocr_reads_screen_text_and_loses_it_when_shrunk():
    from rig.eval.resolution import round_trip
    frames = np.stack([_screen("Submit the form\nprevious button"),
                       _screen("Click on checkbox\nenter password")])
    reference = read_all(frames)
    assert {"submit", "form", "previous", "button"} <= set(reference[0])
    assert {"checkbox", "password"} <= set(reference[1])
    assert word_recall(read_all(frames), reference)["word_recall"] == 1.0
    # a 13x10 round trip keeps no glyph: the measurement must see the loss
    assert word_recall(read_all(round_trip(frames, (13, 10))), reference)["word_recall"] < 0.2


def test_missing_tesseract_and_bad_counts_are_clear_errors(monkeypatch, rig_cli):
    from rig.config import RigError
    from rig.imagination import ocr
    monkeypatch.setattr(ocr.shutil, "which", lambda name: None)
    with pytest.raises(RigError, match="apt-get install tesseract-ocr"):
        read_all(np.zeros((1, 8, 8, 3), np.uint8))
    result = rig_cli("eval", "tokenizer", "--ocr-frames", "-1")
    assert result.returncode == 2 and "--ocr-frames" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_binary_is_one_clear_error(tmp_path):
    from rig.config import RigError
    from rig.imagination.ocr import read_words

    with pytest.raises(RigError, match="apt-get install tesseract-ocr"):
        read_words(_screen("Submit"), binary=str(tmp_path / "no-tesseract"))


@needs_tesseract
def test_the_thread_limit_does_not_outlive_the_reading(monkeypatch):
    """tesseract runs with one OpenMP thread, but the limit must not stay in the environment:
    every later child process would inherit it (torch under OMP_THREAD_LIMIT=1 crawls)."""
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    read_all([_screen("Submit"), _screen("Cancel")], workers=2)
    assert "OMP_THREAD_LIMIT" not in os.environ
    monkeypatch.setenv("OMP_THREAD_LIMIT", "3")
    read_all([_screen("Submit")], workers=1)
    assert os.environ["OMP_THREAD_LIMIT"] == "3"
