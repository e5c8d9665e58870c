"""The report renders in headless Chromium: every image loaded, no console error."""

import os

import pytest
from browser import chromium, render

# Skipped only off CI: .ci/run installs Chromium, so there a missing browser fails the test.
needs_chromium = pytest.mark.skipif(
    chromium() is None and not os.environ.get("CI"),
    reason="needs Debian's chromium (.ci/run installs it)",
)


@needs_chromium
def test_the_report_renders_with_every_image_loaded_and_no_console_errors(reported, tmp_path):
    shot = tmp_path / "report.png"  # kept with the test's files, to look at
    rendered = render(reported / "report.html", shot)
    charts = list((reported / "charts").glob("*.png"))
    assert rendered.title.startswith("Report <fixture> & test")
    assert len(rendered.images) == len(charts)
    assert all(image["complete"] and image["width"] > 0 for image in rendered.images)
    assert all(image["inline"] for image in rendered.images)
    assert rendered.external == []
    assert rendered.console_errors == []
    assert shot.stat().st_size > 50_000  # a whole page, charts included


@needs_chromium
def test_the_check_sees_a_broken_image_and_a_console_error(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><head><title>bad</title></head><body>"
        '<img alt="broken" src="data:image/png;base64,bm90IGEgcG5n">'
        '<script>console.error("something failed")</script></body></html>'
    )
    rendered = render(bad, tmp_path / "bad.png")
    assert [image["width"] for image in rendered.images] == [0]
    assert any("something failed" in error for error in rendered.console_errors)


@needs_chromium
@pytest.mark.parametrize(
    ("fixture", "title"),
    [
        ("compared", "Small hub <base> compared"),
        ("capacity_searched", "Assessment capacity for Small agent hub"),
    ],
)
def test_the_comparison_and_capacity_reports_render_in_the_browser(
    fixture, title, request, tmp_path
):
    folder = request.getfixturevalue(fixture)
    shot = tmp_path / f"{fixture}.png"  # kept with the test's files, to look at
    rendered = render(folder / "report.html", shot)
    assert rendered.title.startswith(title)
    assert len(rendered.images) == len(list((folder / "charts").glob("*.png"))) >= 1
    assert all(image["complete"] and image["width"] > 0 for image in rendered.images)
    assert all(image["inline"] for image in rendered.images)
    assert rendered.external == []
    assert rendered.console_errors == []
    assert shot.stat().st_size > 50_000  # a whole page, charts included
