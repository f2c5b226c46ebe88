"""`rig eval labels`: button labels read by OCR inside their DOM boxes, on screenshots and on
their round trips. The last test drives the real command on a real headless Chromium."""

import json
import os
import shutil
from collections import Counter

import numpy as np
import pytest

from rig.eval.labels import INSET, label_boxes, read_label, score_labels

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None and not os.environ.get("CI"),
    reason="tesseract is not installed (apt-get install tesseract-ocr); CI always has it")
needs_browser = pytest.mark.skipif(
    not (shutil.which("chromium") or os.environ.get("MINIWOB_CHROME_BINARY"))
    or not (shutil.which("chromedriver") or os.environ.get("MINIWOB_CHROMEDRIVER")),
    reason="Chromium and chromedriver are not installed (scripts/setup.sh installs them)")


def _element(tag, text, left, top, width, height):
    return {"tag": tag, "text": text, "left": left, "top": top, "width": width, "height": height}


def test_label_boxes_take_tagged_elements_with_words_inside_their_border():
    dom = [_element("button", "Submit", 10.0, 20.0, 60.0, 24.0),
           _element("BUTTON", "OK", 150.0, 200.0, 30.0, 20.0),       # runs off the frame
           _element("button", "x", 0.0, 0.0, 20.0, 20.0),            # no word of 2+ characters
           _element("div", "Submit", 10.0, 60.0, 60.0, 24.0),        # not a tagged element
           _element("button", "Go", 5.0, 5.0, 5.0, 5.0)]             # nothing left inside
    boxes = label_boxes(dom, {"button"}, (210, 160, 3))
    assert boxes == [("Submit", (20 + INSET, 44 - INSET, 10 + INSET, 70 - INSET)),
                     ("OK", (200 + INSET, 210, 150 + INSET, 160))]


def test_score_labels_counts_words_against_the_dom_text():
    labels = ["Submit", "Next page", "OK"]
    reads = [Counter({"submit": 1}), Counter({"next": 1, "pago": 1}), Counter({"on": 1})]
    result = score_labels(reads, labels)
    assert result["words"] == 4 and result["word_recall"] == pytest.approx(2 / 4)
    assert result["labels_read"] == pytest.approx(1 / 3) and result["labels"] == 3


@needs_tesseract
def test_read_label_reads_a_clean_button_and_nothing_on_a_flat_one():
    from PIL import Image, ImageDraw, ImageFont
    image = Image.new("RGB", (60, 20), (239, 239, 239))
    ImageDraw.Draw(image).text((6, 2), "Submit", fill="black",
                               font=ImageFont.load_default(size=13))
    assert read_label(np.asarray(image), shutil.which("tesseract")) == Counter({"submit": 1})
    flat = np.full((20, 60, 3), 239, np.uint8)
    assert read_label(flat, shutil.which("tesseract")) == Counter()


@needs_browser
@needs_tesseract
def test_eval_labels_reads_dialog_buttons_and_loses_them_at_a_tiny_size(rig_cli, tmp_path):
    """click-dialog-2's "OK" and "Cancel": OCR reads them on the screenshots; a 52x40 round
    trip blurs them away; an untrained tokenizer reads as garbage. Figures in the JSON."""
    from rig.imagination.tokenizer import ImageTokenizer, TokenizerConfig
    tok = tmp_path / "tok"
    ImageTokenizer(TokenizerConfig(image_size=160, image_height=210, pad=True,
                                   channels=[8, 8, 8], norm_groups=8, latent_channels=8,
                                   codebook_size=16, code_dim=4)).save_pretrained(tok)
    report = tmp_path / "labels.json"
    out = rig_cli("eval", "labels", "--tokenizer", str(tok), "--sizes", "52x40",
                  "--tasks", "click-dialog-2", "--episodes", "2", "--json", str(report),
                  "--png", str(tmp_path / "labels.png"))
    assert out.returncode == 0, out.stderr
    result = json.loads(report.read_text())["results"]
    assert result["original"]["labels"] >= 4   # two buttons on each of two screens
    assert result["original"]["word_recall"] >= 0.75
    assert result["resize 52x40"]["word_recall"] < result["original"]["word_recall"]
    assert result["tokenizer tok"]["word_recall"] < result["original"]["word_recall"]
    assert (tmp_path / "labels.png").is_file() and "label words read" in out.stdout
    bad = rig_cli("eval", "labels", "--sizes", "52x40", "--tasks", "no-such-task")
    assert bad.returncode != 0 and "unknown MiniWoB task" in bad.stderr
