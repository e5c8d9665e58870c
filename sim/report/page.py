"""What every report page shares: the Jinja2 templates, charts embedded as data URIs, the
provenance rows, and writing the file so that a reader never sees half of it.

A page has no external resources (charts are PNG data URIs, the style sheet is inline in
`templates/base.html.j2`, there is no script), so it can be e-mailed, opened offline and
printed. Templates are rendered with autoescaping: names and descriptions from a scenario
file are text, never markup.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape

from sim.charts import figure_png  # how every chart file is rendered

if TYPE_CHECKING:
    from matplotlib.figure import Figure

REPORT_FILE = "report.html"


class ReportError(Exception):
    """The folder cannot be reported on (not a finished results folder of hubsim)."""


_ENVIRONMENT = Environment(
    loader=PackageLoader("sim.report", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(template: str, context: Mapping[str, Any]) -> str:
    """A page from one of `templates/` (each extends `base.html.j2`)."""
    return _ENVIRONMENT.get_template(template).render(context)


def png_uri(png: bytes) -> str:
    """A PNG image as a data URI, for an `<img src>` inside the page."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _order_key(order: Sequence[str]) -> Callable[[str], tuple[int, str]]:
    def key(name: str) -> tuple[int, str]:
        for index, prefix in enumerate(order):
            if name == prefix or (prefix.endswith("_") and name.startswith(prefix)):
                return index, name
        return len(order), name

    return key


def embedded_charts(
    folder: Path,
    draw: Callable[[], Mapping[str, Figure]],
    *,
    order: Sequence[str] = (),
    notes: Mapping[str, str] | None = None,
) -> list[dict[str, str]]:
    """Every chart of a results folder, ready for the page.

    Parameters
    ----------
    folder
        The results folder: its `charts/*.png` are embedded as they are.
    draw
        Draws the charts from the folder's tables, called only when it kept none
        (`outputs.charts: false`).
    order
        Names (or prefixes ending in "_") in the order a meeting reads them; others last.
    notes
        The line under a chart that says how to read it, by name or prefix.

    Returns
    -------
    list of dict
        `name`, `title`, `note` and `uri` (a PNG data URI) per chart, in `order`.
    """
    stored = sorted((Path(folder) / "charts").glob("*.png"))
    if stored:
        images = {path.stem: path.read_bytes() for path in stored}
    else:
        images = {name: figure_png(figure) for name, figure in draw().items()}
    notes = notes or {}
    return [
        {
            "name": name,
            "title": name.replace("_", " "),
            "note": next((note for prefix, note in notes.items() if name.startswith(prefix)), ""),
            "uri": png_uri(images[name]),
        }
        for name in sorted(images, key=_order_key(order))
    ]


def provenance(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The rows of the provenance table that every kind of folder has: the command, start
    and end times, code (version and commit), Python, platform, packages, and when the page
    was written (see `templates/base.html.j2`)."""
    return {
        "command": " ".join(manifest.get("command") or []),
        "started": manifest.get("started", "not recorded"),
        "finished": manifest.get("finished", "not recorded"),
        "git": manifest.get("git") or {},
        "packages": manifest.get("packages", {}),
        "python": manifest.get("python", "not recorded"),
        "platform": manifest.get("platform", "not recorded"),
        "generated": datetime.now().strftime("%d %B %Y %H:%M"),
    }


def write_page(target: Path, page: str) -> Path:
    """Write `page` to `target` through a hidden file renamed into place, and return it."""
    target = Path(target)
    hidden = target.with_name(f".{target.name}.writing")
    hidden.write_text(page, encoding="utf-8")
    os.replace(hidden, target)  # a reader never sees half a report
    return target
