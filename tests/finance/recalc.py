"""Recalculate workbooks with LibreOffice headless and read the values back (for the export tests).

LibreOffice does not recalculate xlsx formulas on load by default; a throw-away user profile sets
Calc's "recalculation on file load" to always, so the values read back are LibreOffice's own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str:
    """The LibreOffice binary, or skip with the reason (CI installs it: .ci/run)."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is missing in CI: .ci/run must install it")
        pytest.skip("LibreOffice (soffice) is not installed: the workbook recalculation check could not run "
                    "(apt-get install libreoffice-calc-nogui)")
    return found


def recalculate(files: list[Path], workdir: Path) -> dict[Path, Path]:
    """Open each workbook in LibreOffice, recalculate every formula, save a copy; original → copy."""
    binary = soffice()
    profile = workdir / "lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(PROFILE)
    out = workdir / "recalculated"
    out.mkdir(exist_ok=True)
    cmd = [binary, f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless", "--norestore", "--calc",
           "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), *map(str, files)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    result = {f: out / f.name for f in files}
    missing = [str(f) for f, copy in result.items() if not copy.exists()]
    assert not missing, f"LibreOffice did not convert {missing}: {done.stdout} {done.stderr}"
    return result


def read_values(path: Path) -> dict[str, list[list]]:
    """Every sheet's cell values (as LibreOffice computed them), rows of lists."""
    import openpyxl

    wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
