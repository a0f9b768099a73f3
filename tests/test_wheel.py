"""An installable build (issue 16): the wheel carries the compiled message catalogs, the
templates, settings and migrations, and every file under duidingspool/static/ (the
front-end build's git-ignored vendor/ folder too), so a host that installs it without
`make` and without the checkout serves the Dutch login page with its stylesheet.

The wheel is built as `pip wheel .` builds it (without build isolation, to stay quick) and
installed into a fresh virtual environment with `--no-deps`; the dependencies come from this
checkout's environment through a path file, which adds only its site-packages folder (not
the editable install of the checkout, whose .pth files are not read from there).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path

CHECK = textwrap.dedent("""
    import json, re, sys, tempfile
    from pathlib import Path
    import duidingspool
    from duidingspool import create_app
    from flask_migrate import upgrade

    db = Path(tempfile.mkdtemp()) / "wheel.sqlite3"
    app = create_app("production", DATABASE_URL=f"sqlite:///{db}", SECRET_KEY="wheel-test")
    with app.app_context():
        upgrade()  # the migrations travel with the wheel
    client = app.test_client()
    page = client.get("/login", headers={"Accept-Language": "nl"})
    html = page.get_data(as_text=True)
    sheets = [client.get(href) for href in
              re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)]
    print(json.dumps({
        "package": duidingspool.__file__, "status": page.status_code, "html": html,
        "css_status": sorted({css.status_code for css in sheets}),
        "css_type": sorted({css.mimetype for css in sheets}),
        "css_bytes": min(len(css.get_data()) for css in sheets),
        "css_total": sum(len(css.get_data()) for css in sheets)}))
""")


def test_the_wheel_serves_the_dutch_login_page_with_its_stylesheet(tmp_path):
    pip = [sys.executable, "-m", "pip"]
    # Built from a copy: pip builds in the tree it is given and leaves build/ there.
    source = tmp_path / "source"
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, source / name if source.exists() else _mkdir(source) / name)
    for name in ("duidingspool", "templates", "config", "migrations"):
        shutil.copytree(ROOT / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "-w", str(tmp_path / "dist"), str(source)], check=True, cwd=tmp_path)
    [wheel] = (tmp_path / "dist").glob("duidingspool-*.whl")

    names = set(zipfile.ZipFile(wheel).namelist())
    assert "duidingspool/translations/nl/LC_MESSAGES/messages.mo" in names
    static = ROOT / "duidingspool" / "static"
    shipped_static = {f"duidingspool/static/{p.relative_to(static).as_posix()}"
                      for p in static.rglob("*") if p.is_file()}
    assert shipped_static and shipped_static <= names  # vendor/ too, when the build made it
    assert "duidingspool/_shipped/templates/accounts/login.html" in names
    assert "duidingspool/_shipped/config/production.py" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", "--quiet", str(wheel)],
                   check=True, cwd=tmp_path)
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")

    done = subprocess.run([str(python), "-c", CHECK], cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "DUIDINGSPOOL_CONFIG": "production"})
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["package"].startswith(str(venv))  # the wheel's copy, not the checkout
    assert result["status"] == 200
    assert '<html lang="nl">' in result["html"] and "Inloggen" in result["html"]
    # Every stylesheet the page links (our own, and the NL Design System's when the
    # front-end build ran) is served from the wheel, none empty.
    assert (result["css_status"], result["css_type"]) == ([200], ["text/css"])
    assert result["css_bytes"] > 100 and result["css_total"] > 5000
