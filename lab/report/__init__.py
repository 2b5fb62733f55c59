"""The static HTML report: `build_site(runs, baseline, out)` writes pages, stylesheet and SVG charts."""

from lab.report.site import build_site

__all__ = ["build_site"]
