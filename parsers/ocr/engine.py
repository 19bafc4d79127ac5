"""The OCR engine: RapidOCR (PP-OCR models on onnxruntime), loaded once per process, offline only.

Why pinned model paths: RapidOCR resolves its models by name and *downloads* any model that is not in
its package directory. The three default models (``PP-OCRv6`` det/rec "small", the v2 direction
classifier) ship inside the ``rapidocr`` 3.10.0 wheel, so the engine is built with explicit
``model_path`` values pointing at those files; a missing file raises `OcrUnavailable` here instead
of letting RapidOCR try the network. Parsers never touch the network (README, "Parsers").

Two calls are exposed, both on grayscale or RGB ``numpy`` arrays:

- `recognise(crops)`: text recognition only, one text line per crop → ``[(text, confidence)]``.
  Used for table cells, whose boxes the grid stage already knows: no detection model, no boxes that
  straddle a cell border. ``REC_MIN_WIDTH`` is lowered from RapidOCR's 320 px so a one-digit crop is
  not padded to a 320 px canvas (6× faster on numeric cells, same text; measured in
  ``bench/ocr_bench.py``).
- `detect(image)`: detection + recognition → `TextBox` list (unruled tables, prose between tables).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from parsers.errors import ParseError

# RapidOCR's rec input is 48 px high; the minimum canvas width (RapidOCR default 320) — see docstring.
REC_MIN_WIDTH = 48
REC_BATCH = 6  # RapidOCR's default; larger batches were slower on 2 cores (padding to the widest crop)
MODEL_FILES = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}

_lock = threading.Lock()
_engine: Any = None


class OcrUnavailable(ParseError):
    """The OCR engine or its packaged models are not installed; the message says what to install."""


@dataclass(slots=True, frozen=True)
class TextBox:
    """One detected text line: axis-aligned box in image pixels, text and recognition confidence."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    conf: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


def model_dir() -> Path:
    try:
        import rapidocr
    except ImportError as e:
        raise OcrUnavailable("ocr", "rapidocr is not installed (pip install rapidocr==3.10.0 "
                                    "onnxruntime==1.31.1)") from e  # fmt: skip
    return Path(rapidocr.__file__).resolve().parent / "models"


def get_engine() -> Any:
    """The process-wide RapidOCR instance (built on first use; thread-safe)."""
    global _engine
    if _engine is not None:
        return _engine
    with _lock:
        if _engine is None:
            root = model_dir()
            params: dict[str, Any] = {"Global.log_level": "error", "Global.use_cls": False,
                                      "Rec.rec_img_shape": [3, 48, REC_MIN_WIDTH],
                                      "Rec.rec_batch_num": REC_BATCH}  # fmt: skip
            for part, name in MODEL_FILES.items():
                path = root / name
                if not path.is_file():
                    why = f"packaged model {name} missing from {root}: reinstall rapidocr==3.10.0"
                    raise OcrUnavailable("ocr", why + " (default models only: others download)")
                params[f"{part}.model_path"] = str(path)
            try:
                from rapidocr import RapidOCR
            except ImportError as e:  # onnxruntime or opencv missing
                raise OcrUnavailable("ocr", f"the OCR engine cannot load ({e})") from e
            logging.getLogger("RapidOCR").setLevel(logging.ERROR)
            _engine = RapidOCR(params=params)
    return _engine


def _rgb(img: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.stack([img] * 3, axis=-1)) if img.ndim == 2 else img


def recognise(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """Recognise one text line per crop (no detection) → ``(text, confidence)`` in input order."""
    if not crops:
        return []
    from rapidocr.ch_ppocr_rec.typings import TextRecInput

    rec = get_engine()._load_rec_model()
    out = rec(TextRecInput(img=[_rgb(c) for c in crops]))
    return [(str(t), float(s)) for t, s in zip(out.txts, out.scores, strict=True)]


def detect(image: np.ndarray) -> list[TextBox]:
    """Detect and recognise text lines anywhere in `image` → boxes in reading order (top, then left)."""
    res = get_engine()(_rgb(image))
    if res.boxes is None or res.txts is None:
        return []
    boxes = []
    for quad, text, score in zip(res.boxes, res.txts, res.scores, strict=True):
        xs = [p[0] for p in quad]
        ys = [p[1] for p in quad]
        boxes.append(TextBox(min(xs), min(ys), max(xs), max(ys), str(text), float(score)))
    boxes.sort(key=lambda b: (round(b.cy / 10), b.x0))
    return boxes
