"""The coverage matrix as a PNG heatmap (matplotlib, Agg backend: no display needed).

Why a picture: a few hundred agencies × a dozen years is read at a glance as colour — a blocked portal
is a grey band, a late-publishing county a column of orange — where a table needs scrolling.

Agency names are Chinese, so a CJK font is registered with matplotlib's font manager: Noto Sans CJK
from Debian's ``fonts-noto-cjk`` (`CJK_FONT_CANDIDATES`). Without one the picture is still drawn
(glyphs fall back to boxes) and `render_png` says so in its return value rather than failing.
"""

from __future__ import annotations

from pathlib import Path

from storage.coverage import BLOCKED, COLLECTED, LATE, MISSING, STATES, UNPARSEABLE, CoverageMatrix

CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)
COLOURS = {
    COLLECTED: "#2e7d32",  # green
    LATE: "#f9a825",  # amber
    UNPARSEABLE: "#c62828",  # red
    BLOCKED: "#616161",  # grey
    MISSING: "#eeeeee",  # near white
}
MAX_ROWS = 400
"""Agencies drawn at most (the picture of a national archive would be unreadable anyway)."""


def cjk_font() -> str | None:
    """Register the first CJK font file found and return the family to use — its Simplified Chinese
    face (``… CJK SC``) when the collection has one — or None if there is none."""
    from matplotlib import font_manager

    for candidate in CJK_FONT_CANDIDATES:
        if not Path(candidate).is_file():
            continue
        try:
            font_manager.fontManager.addfont(candidate)
            first = font_manager.FontProperties(fname=candidate).get_name()
        except (OSError, RuntimeError, ValueError):
            continue
        simplified = first.rsplit(" ", 1)[0] + " SC"  # "Noto Sans CJK JP" → "Noto Sans CJK SC"
        names = {f.name for f in font_manager.fontManager.ttflist}
        return simplified if simplified in names else first
    return None


def render_png(matrix: CoverageMatrix, path: Path, *, title: str = "nianbaoku coverage") -> dict[str, object]:
    """Draw `matrix` to `path` (PNG). Returns what was drawn: rows, years, the font used (None: no CJK
    font was found, names may show as boxes) and whether rows were cut at `MAX_ROWS`."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    font = cjk_font()
    rows = matrix.rows[:MAX_ROWS]
    codes = [[STATES.index(row.cells[y].state) for y in matrix.years] for row in rows]
    height = max(2.5, 0.28 * len(rows) + 1.8)
    width = max(5.0, 0.55 * len(matrix.years) + 4.5)
    rc = {"font.family": [font, "DejaVu Sans"]} if font else {}
    with plt.rc_context(rc):
        fig, ax = plt.subplots(figsize=(width, height), dpi=100)
        try:
            cmap = ListedColormap([COLOURS[s] for s in STATES])
            if rows and matrix.years:
                ax.imshow(codes, cmap=cmap, vmin=-0.5, vmax=len(STATES) - 0.5, aspect="auto")
            ax.set_xticks(range(len(matrix.years)), [str(y) for y in matrix.years], rotation=45)
            ax.set_yticks(range(len(rows)), [row.agency.name for row in rows], fontsize=8)
            ax.set_xlabel("statistical year")
            ax.set_title(title)
            counts = matrix.counts()
            ax.legend(
                handles=[Patch(color=COLOURS[s], label=f"{s} ({counts[s]})") for s in STATES],
                loc="upper left",
                bbox_to_anchor=(1.01, 1.0),
                fontsize=8,
                frameon=False,
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, format="png", bbox_inches="tight")
        finally:
            plt.close(fig)
    return {
        "rows": len(rows),
        "years": len(matrix.years),
        "font": font,
        "truncated": len(matrix.rows) > MAX_ROWS,
    }
