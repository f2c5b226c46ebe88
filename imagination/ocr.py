"""Does small text survive? Word recall by OCR, for screenshots sent through a tokenizer.

Role in the data flow: `rig eval resolution --ocr-frames N` and `rig eval tokenizer
--ocr-frames N` read the words of held-out screenshots with Tesseract (Debian's `tesseract-ocr`,
installed by scripts/setup.sh, driven through `pytesseract`) and read them again after the round
trip (a smaller input size, or a tokenizer's encode and decode). PSNR says how many pixels are
off; word recall says what a reader of the screen (the policy, a person) has lost: the share of
the words read on the original that are still read, word for word, on the reconstruction.

Words are compared as multisets after lowercasing and stripping punctuation; tokens with fewer
than two letters or digits are dropped (OCR noise on borders and icons). Frames are upscaled 3x
before OCR: Tesseract is tuned for ~30-pixel text, MiniWoB's is ~10. The original's own recall
is 1 by definition; what counts is how far a reconstruction falls below it.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from rig.config import RigError

OCR_SCALE = 3          # upscale factor before OCR (Tesseract wants ~30-pixel glyphs)
_WORD = re.compile(r"[^0-9a-z]+")


MISSING = ("OCR needs the tesseract binary, which is not installed: `apt-get install "
           "tesseract-ocr tesseract-ocr-eng` (scripts/setup.sh installs it), or leave out "
           "--ocr-frames")


def tesseract_binary() -> str:
    path = shutil.which("tesseract")
    if path is None:
        raise RigError(MISSING)
    return path


_omp_lock = threading.Lock()
_omp_readers = 0             # OCR calls running now, in any thread
_omp_before: str | None = None  # OMP_THREAD_LIMIT as it was before the first of them


@contextmanager
def one_openmp_thread():
    """While any OCR runs, tesseract gets one OpenMP thread (the callers read several frames
    at once). pytesseract starts tesseract with this process's environment, so the limit is
    set there, and removed again when the last reader is done: left behind, it would reach
    every later child process (torch under OMP_THREAD_LIMIT=1 crawls)."""
    global _omp_readers, _omp_before
    with _omp_lock:
        if _omp_readers == 0:
            _omp_before = os.environ.get("OMP_THREAD_LIMIT")
            os.environ["OMP_THREAD_LIMIT"] = "1"
        _omp_readers += 1
    try:
        yield
    finally:
        with _omp_lock:
            _omp_readers -= 1
            if _omp_readers == 0:
                if _omp_before is None:
                    os.environ.pop("OMP_THREAD_LIMIT", None)
                else:
                    os.environ["OMP_THREAD_LIMIT"] = _omp_before


def normalize(text: str) -> list[str]:
    """OCR output -> comparable words: lowercase letters and digits, at least two of them."""
    words = (_WORD.sub("", token.lower()) for token in text.split())
    return [w for w in words if len(w) >= 2]


def read_words(frame, binary: str | None = None, scale: int = OCR_SCALE,
               psm: int = 11) -> Counter:
    """The words Tesseract reads on one uint8 (H, W, 3) frame, as a multiset. `psm`: Tesseract's
    page segmentation mode (11: sparse text anywhere, a screenshot; 7: one line, a label)."""
    import pytesseract
    from PIL import Image

    image = Image.fromarray(frame)
    image = image.resize((image.width * scale, image.height * scale), Image.LANCZOS)
    if binary:
        pytesseract.pytesseract.tesseract_cmd = binary
    try:
        with one_openmp_thread():
            text = pytesseract.image_to_string(image, config=f"--psm {int(psm)}", timeout=60)
    except pytesseract.TesseractNotFoundError:
        raise RigError(MISSING) from None
    except pytesseract.TesseractError as error:
        raise RigError(f"tesseract failed (exit {error.status}): "
                       f"{str(error.message).strip()[-300:]}") from None
    except RuntimeError as error:  # pytesseract's timeout
        raise RigError(f"tesseract took over 60 s on one frame ({error})") from None
    return Counter(normalize(text))


def read_all(frames, workers: int = 2) -> list[Counter]:
    """`read_words` of every frame, `workers` Tesseract processes at a time."""
    binary = tesseract_binary()
    with ThreadPoolExecutor(max(1, workers)) as pool:
        return list(pool.map(lambda f: read_words(f, binary), frames))


def word_recall(read: list[Counter], reference: list[Counter]) -> dict:
    """Share of the reference frames' words (pooled, counted with multiplicity) also read on the
    matching frames of `read`; and the share of frames that keep all their words."""
    if len(read) != len(reference):
        raise ValueError(f"{len(read)} frames read against {len(reference)} references")
    total = sum(sum(ref.values()) for ref in reference)
    kept = sum(sum((got & ref).values()) for got, ref in zip(read, reference))
    with_text = [(got, ref) for got, ref in zip(read, reference) if ref]
    whole = sum(not (ref - got) for got, ref in with_text)
    return {"word_recall": kept / total if total else float("nan"), "words": total,
            "frames": len(reference),
            "frames_all_words": whole / len(with_text) if with_text else float("nan")}


def evenly_spaced(frames, count: int):
    """Indices of `count` frames spread evenly over `frames` (all when count >= len)."""
    import numpy as np
    if count >= len(frames):
        return np.arange(len(frames))
    return np.unique(np.linspace(0, len(frames) - 1, count).round().astype(int))
