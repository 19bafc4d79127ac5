"""LibreOffice headless conversion: bytes of one office format → another (.doc → .docx, .xls → .xlsx).

Why LibreOffice: legacy Word/WPS/Excel/ET binaries (OLE2 + BIFF/Word97 records) have no well-kept pure
Python reader that keeps tables and merges; LibreOffice imports them faithfully and writes OOXML, which the
DOCX and sheet carriers already read. From the parser's point of view `convert` is still a pure function
of bytes: no network, no database, no state left behind (it runs a subprocess in a private temp dir).

Dependency: the ``soffice`` binary on PATH with the component that *imports* the source format —
Writer for .doc/.wps/.rtf/.odt (Debian ``libreoffice-writer-nogui``), Calc for .xls/.et/.ods (Debian
``libreoffice-calc-nogui``). ``.ci/setup`` installs both. If either is missing, `convert` raises
`ConverterUnavailable` naming the package (a missing Calc would otherwise look like a corrupt file: soffice
only prints "source file could not be loaded").

How one conversion runs (stages):

1. ``check``: input size against ``Limits.max_input_bytes``; soffice and the import component present.
2. ``profile``: a LibreOffice user profile directory used by this conversion alone. Two soffice processes
   on one profile do not run side by side: the second hands its job to the first over a pipe and exits,
   and the conversion silently produces nothing. Profiles come from a small pool under
   ``$TMPDIR/nianbaoku-soffice-<uid>/`` (override: ``NIANBAOKU_SOFFICE_PROFILES``), each guarded by an
   exclusive ``flock``, so concurrent workers — threads or processes — never share one, and a worker reuses
   a warm profile (saves ~0.5 s: a forged report's .doc converts in 2.2–2.6 s warm, 2.6–3.4 s fresh, on
   a loaded 2-core machine). A profile that saw a timeout or a non-zero exit is deleted, never reused.
   When the pool is exhausted (> ``MAX_PROFILES`` concurrent conversions) a throw-away profile inside the
   private temp dir is used.
3. ``run``: ``soffice --headless --norestore --nolockcheck -env:UserInstallation=… --convert-to <to>
   --outdir <dir> <file>`` in its own process group (``start_new_session``) with a time limit; on timeout
   the whole group (the ``soffice`` wrapper, ``oosplash`` and ``soffice.bin``) is killed with SIGKILL and
   `LimitExceeded` raised.
4. ``collect``: exactly one non-empty output file, no larger than ``Limits.max_unzipped_bytes``
   (the OOXML carrier then applies its own zip-bomb checks); otherwise `UnreadableInput` with soffice's
   own message. The temp dir (input, output, throw-away profile) is removed in every case.

Conversion limits: the time limit is ``Limits.time_budget_s`` (default 60 s; the carriers pass what is
left of the per-file budget), generous for a cold start on a loaded machine (measured 2–6 s per report).
Known gaps: LibreOffice may try to fetch images *linked* (not embedded) by URL in a document; macros are
not run (a fresh profile keeps the default high macro security).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from parsers.errors import ConverterUnavailable, LimitExceeded, UnreadableInput
from parsers.limits import DEFAULT_LIMITS, Limits

__all__ = ["IMPORTERS", "MAX_PROFILES", "Component", "convert", "find_soffice", "missing_component"]

logger = logging.getLogger(__name__)

SOFFICE_BINARIES = ("soffice", "libreoffice")
MAX_PROFILES = 16  # concurrent conversions sharing warm profiles; a worker pool is rarely larger
PROFILE_ROOT_ENV = "NIANBAOKU_SOFFICE_PROFILES"


@dataclass(frozen=True, slots=True)
class Component:
    """A LibreOffice module that imports some formats: its name, the shared library that marks it as
    installed in LibreOffice's ``program/`` directory, and the Debian package that provides it."""

    name: str
    library: str
    debian_package: str


WRITER = Component("Writer", "libswlo.so", "libreoffice-writer-nogui")
CALC = Component("Calc", "libsclo.so", "libreoffice-calc-nogui")

#: source extension → the component that imports it
IMPORTERS: dict[str, Component] = {
    **dict.fromkeys(("doc", "dot", "wps", "wpt", "docx", "odt", "rtf"), WRITER),
    **dict.fromkeys(("xls", "xlt", "et", "ett", "xlsx", "ods"), CALC),
}


def find_soffice() -> str | None:
    """Path of the LibreOffice binary on PATH, or None."""
    for name in SOFFICE_BINARIES:
        path = shutil.which(name)
        if path:
            return path
    return None


def missing_component(binary: str, src_ext: str) -> Component | None:
    """The component needed to import `src_ext` if this LibreOffice install clearly lacks it.

    Judged by its shared library in ``program/``; an install laid out differently (no ``lib*lo.so`` at
    all there, e.g. macOS) is given the benefit of the doubt.
    """
    component = IMPORTERS.get(src_ext)
    if component is None:
        return None
    program = Path(os.path.realpath(binary)).parent
    if not any(program.glob("lib*lo.so")):
        return None
    return None if (program / component.library).exists() else component


def _profile_root() -> Path:
    return Path(
        os.environ.get(PROFILE_ROOT_ENV) or Path(tempfile.gettempdir()) / f"nianbaoku-soffice-{os.getuid()}"
    )


@dataclass(slots=True)
class _Profile:
    path: Path
    spoiled: bool = False


@contextlib.contextmanager
def _profile(work: Path) -> Iterator[_Profile]:
    """Stage 2: hold one profile directory exclusively for the duration of a conversion."""
    root = _profile_root()
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        usable = root.stat().st_uid == os.getuid()  # never run soffice on a profile someone else planted
    except OSError:
        usable = False
    for i in range(MAX_PROFILES if usable else 0):
        try:
            fd = os.open(root / f"profile-{i}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            break
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held by another conversion (another thread's descriptor or another process)
            os.close(fd)
            continue
        profile = _Profile(root / f"profile-{i}")
        try:
            yield profile
        finally:
            if profile.spoiled:
                shutil.rmtree(profile.path, ignore_errors=True)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        return
    yield _Profile(work / "profile")  # throw-away: removed with the work dir


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _tail(out: bytes, err: bytes) -> str:
    text = (out + b"\n" + err).decode("utf-8", "replace")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and "javaldx" not in ln]
    return " | ".join(lines)[-300:] or "no message"


def _run(cmd: list[str], timeout_s: float, what: str, to: str) -> tuple[int, bytes, bytes]:
    """Stage 3: run soffice in its own process group; kill the group on timeout."""
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        raise LimitExceeded(
            what,
            f"LibreOffice conversion to {to} did not finish within {timeout_s:g}s (Limits.time_budget_s); "
            "the process group was killed",
        ) from None
    except BaseException:
        _kill_group(proc)
        proc.communicate()
        raise
    return proc.returncode, out, err


def convert(
    data: bytes,
    *,
    src_ext: str,
    to: str,
    limits: Limits = DEFAULT_LIMITS,
    timeout_s: float | None = None,
) -> bytes:
    """Convert `data` (a ``.<src_ext>`` file) with LibreOffice; return the bytes of the result.

    `to` is soffice's ``--convert-to`` argument: an extension (``docx``) optionally with a filter name
    (``xlsx:Calc MS Excel 2007 XML``). `timeout_s` defaults to ``limits.time_budget_s``. The file is named
    ``input.<src_ext>`` for soffice, whose type detection starts from the extension. Raises
    `ConverterUnavailable` (no soffice, or no component for `src_ext`), `LimitExceeded` (size, time) or
    `UnreadableInput` (LibreOffice could not load it or wrote nothing). Stages in the module docstring.
    """
    src_ext = src_ext.lower().lstrip(".")
    target = to.split(":", 1)[0].lower()
    limits.check_input_size(data, src_ext)
    binary = find_soffice()
    if binary is None:
        component = IMPORTERS.get(src_ext, WRITER)
        raise ConverterUnavailable(
            src_ext,
            f"converting .{src_ext} needs LibreOffice, and no soffice is on PATH: install the Debian package "
            f"{component.debian_package} (or run .ci/setup)",
        )
    component = missing_component(binary, src_ext)
    if component is not None:
        raise ConverterUnavailable(
            src_ext,
            f"converting .{src_ext} needs LibreOffice {component.name}, which is not installed: install the "
            f"Debian package {component.debian_package} (or run .ci/setup)",
        )
    timeout_s = limits.time_budget_s if timeout_s is None else timeout_s
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nianbaoku-convert-") as tmp:
        work = Path(tmp)
        src = work / f"input.{src_ext}"
        src.write_bytes(data)
        outdir = work / "out"
        outdir.mkdir()
        with _profile(work) as profile:
            cmd = [
                binary,
                "--headless",
                "--norestore",
                "--nolockcheck",
                f"-env:UserInstallation={profile.path.as_uri()}",
                "--convert-to",
                to,
                "--outdir",
                str(outdir),
                str(src),
            ]
            profile.spoiled = True  # until proven otherwise: a killed or failed run may leave it broken
            code, out, err = _run(cmd, timeout_s, src_ext, target)
            produced = [p for p in outdir.iterdir() if p.is_file()]
            # a timeout or crash may leave the profile half-written; "could not be loaded" (exit 0) may not
            profile.spoiled = code != 0
        if not produced:
            raise UnreadableInput(
                src_ext,
                f"LibreOffice could not convert it to {target} (exit {code}; corrupt, or not a .{src_ext} "
                f"file): {_tail(out, err)}",
            )
        result = produced[0]
        size = result.stat().st_size
        if size == 0:
            raise UnreadableInput(src_ext, f"LibreOffice wrote an empty {target} file")
        if size > limits.max_unzipped_bytes:
            raise LimitExceeded(
                src_ext,
                f"the converted {target} is {size:,} bytes, above Limits.max_unzipped_bytes="
                f"{limits.max_unzipped_bytes:,}",
            )
        converted = result.read_bytes()
    logger.debug(
        "converted %s bytes of .%s to %s in %.1fs", len(data), src_ext, target, time.monotonic() - started
    )
    return converted
