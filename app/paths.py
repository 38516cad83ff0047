"""Where the checkout's shared folders are (assets are served from the source tree)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
CATALOGS = ASSETS / "i18n"
