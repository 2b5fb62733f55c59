"""wasmlab report: the static site built from real runs (a baseline copy and a newer copy with an
injected slowdown and failing conformance commands whose reasons carry HTML), checked as files,
as HTML, and in a real headless Chromium."""

from __future__ import annotations

import html.parser
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlparse

import pytest

from lab.report import build_site
from tests.report.helpers import (
    copy_run,
    edit_conformance,
    note_metric,
    scale_cell,
    separating_factor,
    steadiest_cell,
    wasmlab,
)

HOSTILE_REASON = "<script>alert('x')</script> & <b>bold</b>"
# Each page and a table (or marker) its DOM must contain once a browser has loaded it.
EXPECTED = {
    "index.html": 'id="overview"', "conformance.html": 'id="conformance-matrix"', "workloads.html": 'id="geomeans"',
    "startup.html": 'id="memory"', "comparison.html": 'id="comparison"', "history.html": 'id="changes"',
}


@pytest.fixture(scope="module")
def site(small_run, tmp_path_factory) -> Path:
    runs = tmp_path_factory.mktemp("site-runs")
    base = copy_run(small_run, runs, "base", "2030-01-01T00:00:00+00:00")
    newer = copy_run(small_run, runs, "newer", "2030-01-02T00:00:00+00:00")
    cell = steadiest_cell(small_run)
    scale_cell(newer, cell["runtime"], cell["suite"], cell["case"], separating_factor(small_run, cell))
    assert len(edit_conformance(newer, "i32.wast", 2, "fail", HOSTILE_REASON)) == 2
    assert note_metric(newer, "wasmtime-cli", "peak_rss", "cgroup peak " + HOSTILE_REASON) > 0
    out = tmp_path_factory.mktemp("site")
    index = build_site([newer, base], baseline=base, out=out, verdicts="absolute")  # a wall-time step
    assert index == out / "index.html"
    return out


def _pages(site: Path) -> list[Path]:
    return sorted(site.glob("*.html"))


def test_every_page_is_written_with_its_tables(site, small_run):
    names = {page.name for page in _pages(site)}
    assert set(EXPECTED) <= names
    assert "conformance-wasmtime-cranelift-local.html" in names
    for name, marker in EXPECTED.items():
        assert marker in (site / name).read_text(), name
    overview = (site / "index.html").read_text()
    for runtime in ("native (static)", "wasmtime (cranelift)", "wasmtime-cli (cranelift)"):
        assert f"<td>{runtime}</td>" in overview
    # a skipped conformance suite shows its reason instead of a rate
    assert "cannot host .wast spec sessions" in overview
    # the small run's workloads are size small: the overview says what its throughput means
    assert "over the workloads at size small" in overview and "mostly measures start-up" in overview
    # one ratio convention: runtime / native, so a wasm runtime reads as so many times slower
    assert "<th>time vs native (× slower)</th>" in overview
    from lab.report.views import overview_rows
    from lab.store import load, load_conformance

    ratios = {row["runtime"]: row["vs_native"]["value"] for row in overview_rows(load(small_run),
                                                                                 load_conformance(small_run))}
    assert ratios["native"] == 1 and ratios["wasmtime-cli"] > 1  # a JIT starting up is slower than native
    workloads = (site / "workloads.html").read_text()
    assert "ran at size small only" in workloads
    assert workloads.count('<section class="case"') == 2 and workloads.count("charts/") >= 2


def test_failing_commands_and_regressions_are_shown(site, small_run):
    page = (site / "conformance-wasmtime-cranelift-local.html").read_text()
    rows = re.findall(r"<tr><td>spec-2.0</td>.*?</tr>", page, re.S)
    assert len(rows) == 2 and all("i32.wast" in row and "fail" in row for row in rows)
    comparison = (site / "comparison.html").read_text()
    assert comparison.count('<tr class="verdict-regression">') == 2  # the slowed cell and its conformance group
    assert '1 regression(s)' in comparison
    assert "2 conformance regression(s)" in comparison
    history = (site / "history.html").read_text()
    assert "newer" in history and "verdict-regression" in history


def test_everything_is_escaped(site):
    for page in _pages(site):
        text = page.read_text()
        assert "<script" not in text and "<b>bold" not in text, page.name
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in \
        (site / "conformance-wasmtime-cranelift-local.html").read_text()


def test_memory_tables_show_memory_and_no_phase_times(site):
    page = (site / "startup.html").read_text()
    cold_start, memory = page.split("<h2>Peak memory</h2>")
    assert "phases (compile / instantiate / execute)" in cold_start
    assert "phases" not in memory and "MiB" in memory


def test_memory_notes_are_listed_under_the_memory_table(site):
    notes = re.search(r'<ul class="notes">(.*?)</ul>', (site / "startup.html").read_text(), re.S)
    assert notes, "a runtime whose peak memory carries a note must have it listed"
    items = re.findall(r"<li>(.*?)</li>", notes.group(1), re.S)
    assert items == ["wasmtime-cli (cranelift) on local: cgroup peak "
                     "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"]


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.links += [value for name, value in attrs if name in ("href", "src") and value]


def test_links_resolve_and_nothing_comes_from_the_network(site):
    checked = 0
    for page in _pages(site):
        parser = _Links()
        parser.feed(page.read_text())
        for link in parser.links:
            parsed = urlparse(link)
            assert not parsed.scheme and not parsed.netloc, f"{page.name} links outside the site: {link}"
            if parsed.path:
                assert (page.parent / parsed.path).is_file(), f"{page.name}: {link} does not exist"
                checked += 1
    assert checked > 20
    for chart in (site / "charts").glob("*.svg"):
        assert ET.parse(chart).getroot().tag.endswith("svg")  # well-formed SVG


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _browse(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", "--no-first-run",
                           f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(_chromium() is None, reason="chromium not installed (apt-get install -y chromium)")
def test_pages_load_in_chromium_without_console_errors(site, tmp_path):
    browser = _chromium()
    for page in _pages(site):
        result = _browse(browser, tmp_path / "profile", "--dump-dom", page.as_uri())
        assert result.returncode == 0, result.stderr[-500:]
        console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
        assert console == [], f"{page.name}: {console}"
        assert "</table>" in result.stdout or "Every command passed" in result.stdout, page.name
        if page.name in EXPECTED:
            assert EXPECTED[page.name] in result.stdout, page.name
    screenshot = tmp_path / "overview.png"
    result = _browse(browser, tmp_path / "profile", f"--screenshot={screenshot}", "--window-size=1280,900",
                     (site / "index.html").as_uri())
    assert result.returncode == 0 and screenshot.is_file(), result.stderr[-500:]
    from matplotlib.image import imread

    pixels = imread(screenshot)
    assert pixels.shape[:2] == (900, 1280)
    assert pixels[..., :3].std() > 0.05  # text, tables and a chart, not a blank page
    assert len({tuple(p) for p in pixels[::20, ::20, :3].reshape(-1, 3).round(2)}) > 20


def test_cli_builds_the_site_and_rejects_bad_runs(small_run, tmp_path):
    result = wasmlab("report", small_run, "--out", tmp_path / "out")
    assert result.stdout.strip() == str(tmp_path / "out" / "index.html")
    names = {p.name for p in (tmp_path / "out").glob("*.html")}
    assert "comparison.html" not in names and "history.html" not in names  # one run, no baseline
    bad = wasmlab("report", tmp_path / "missing", check=False)
    assert bad.returncode == 2 and bad.stderr.startswith("wasmlab: error:") and bad.stderr.count("\n") == 1


def test_runtime_page_names_have_no_empty_parts() -> None:
    from lab.report.views import runtime_page_name

    assert runtime_page_name("local", False, "spin", "") == "conformance-spin-local.html"
    assert runtime_page_name("arm64", True, "wasmtime-cli", "cranelift") == \
        "conformance-wasmtime-cli-cranelift-arm64-emulated.html"
    assert runtime_page_name("ci box", False, "node", "v8/x") == "conformance-node-v8_x-ci_box.html"


def test_a_runtime_that_timed_out_shows_its_bound_against_native(timed_out_run, tmp_path):
    build_site([timed_out_run], out=tmp_path / "site")
    page = (tmp_path / "site" / "workloads.html").read_text()
    case_table = page.split('<section class="case"', 1)[1]  # past the geometric means, which exclude it
    interp_row = re.search(r"<tr>\s*<td>interp \(translate\)</td>.*?</tr>", case_table, re.S)
    assert interp_row, case_table
    row = interp_row.group(0)
    # its status and reason, and beside them how much slower than native it was at least
    assert "timeout" in row and "timed out after 3.0 s" in row
    assert re.search(r'title="timed out, so the ratio is at least this[^"]*">≥ [0-9.]+', row), row
    # a run without conformance suites: the conformance page says how to get them
    assert "wasmlab run --suite spec-2.0 wasi-p1" in (tmp_path / "site" / "conformance.html").read_text()


def test_the_comparison_page_judges_cpu_time_relative_to_native_by_default(small_run, tmp_path):
    base = copy_run(small_run, tmp_path / "runs", "base", "2030-01-01T00:00:00+00:00")
    newer = copy_run(small_run, tmp_path / "runs", "newer", "2030-01-02T00:00:00+00:00")
    cell = steadiest_cell(small_run)
    for metric in ("wall_time", "user_time", "sys_time"):  # a real slowdown: 10x its CPU time
        assert scale_cell(newer, cell["runtime"], cell["suite"], cell["case"], 10.0, metric) > 0
    build_site([newer, base], baseline=base, out=tmp_path / "site")
    page = (tmp_path / "site" / "comparison.html").read_text()
    assert "Verdicts are relative: each runtime's CPU time divided by native's" in page
    slowed = [row for row in re.findall(r'<tr class="verdict-regression">.*?</tr>', page, re.S)
              if f"<td>{cell['case']}</td>" in row]
    assert slowed and all("cpu_time" in row for row in slowed), slowed
