"""Build steps pyproject.toml cannot declare: what a wheel carries besides the package.

`python -m build` / `pip wheel .` make a wheel that runs without the source tree and
without `make`:
- the message catalogs are compiled (.po -> .mo) into the package, so the Dutch interface
  works (the .mo files are not in git; `make install` compiles them for a checkout);
- the top-level `templates/`, `config/` and `migrations/` folders are copied into the
  package as `duidingspool/_shipped/...`, where create_app looks when the checkout's folders
  are not there (they stay where they are in the source tree: every feature edits them);
- everything under duidingspool/static/ (also the git-ignored vendor/ folder the front-end
  build fills) is package data (pyproject.toml).
An editable install (`make install`) skips the copy: it runs from the checkout.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("templates", "config", "migrations")


class BuildWithResources(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "duidingspool"
        self._compile_catalogs(target)
        for name in SHIPPED:
            destination = target / "_shipped" / name
            shutil.rmtree(destination, ignore_errors=True)
            shutil.copytree(ROOT / name, destination,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))

    @staticmethod
    def _compile_catalogs(target: Path) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po_path in (ROOT / "duidingspool" / "translations").glob("*/LC_MESSAGES/*.po"):
            relative = po_path.relative_to(ROOT / "duidingspool")
            mo_path = (target / relative).with_suffix(".mo")
            mo_path.parent.mkdir(parents=True, exist_ok=True)
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)


setup(cmdclass={"build_py": BuildWithResources})
