"""The wheel carries the themes, so a non-editable install finds them.

Built without build isolation (hatchling comes with the test extra), so the
test needs no network and passes the egress guard.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_themes_and_entry_point(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("sovtui-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "sovtui = sovtui.cli:main" in archive.read(entry_points).decode()
    for theme_file in ("sovtui.tcss", "sovtui-dark.toml", "sovtui-light.toml"):
        assert f"sovtui/themes/{theme_file}" in names
    # Stylesheets beside their panes and screens (CSS_PATH = "wallet.tcss") ship with them.
    stylesheets = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "sovtui").rglob("*.tcss"))
    assert "sovtui/ui/panes/wallet.tcss" in stylesheets
    assert [path for path in stylesheets if path not in names] == []
