"""The students' handout prints on one A4 page (Chromium's print to PDF)."""

import re
import shutil
from pathlib import Path

import pytest

from tests.appserver import ROOT

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CSS = """body{font-family:sans-serif;font-size:10.5pt;line-height:1.3;margin:0}
h1{font-size:16pt;margin:0 0 6pt} h2{font-size:12.5pt;margin:10pt 0 4pt}
table{border-collapse:collapse;width:100%} td,th{border:1px solid #999;padding:2pt 5pt;vertical-align:top}
code{font-size:9.5pt} p,ol,ul{margin:4pt 0}"""


def test_handout_prints_on_one_page():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (.ci/run installs it with apt)")
    from markdown_it import MarkdownIt
    from playwright.sync_api import sync_playwright

    text = (ROOT / "docs" / "handout.md").read_text(encoding="utf-8")
    html = MarkdownIt("commonmark").enable("table").render(text)
    page = f"<html><head><meta charset='utf-8'><style>{CSS}</style></head><body>{html}</body></html>"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            pg = b.new_page()
            pg.set_content(page)
            pdf = pg.pdf(format="A4", margin={k: "15mm" for k in ("top", "bottom", "left", "right")})
        finally:
            b.close()
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "handout.pdf").write_bytes(pdf)  # look at it: pdftoppm -png test-artifacts/handout.pdf
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 1, f"the handout prints on {pages} pages"
    # Everything a student needs is on it: the install lines, the app's address, what to do when stuck.
    for must in ("requirements-notebooks.txt", "Activate.ps1", "127.0.0.1:7860", "When stuck", "--no-index"):
        assert must in text
