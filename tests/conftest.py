"""Suite-wide set-up: runtime images live in one cache folder shared by every test
server (each test home is new; building the default image per home would cost a
minute each). ``CIVIS_PLATFORM_IMAGES_DIR`` set by the caller wins."""

from __future__ import annotations

import os
from pathlib import Path

IMAGES_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "civis-platform"
os.environ.setdefault("CIVIS_PLATFORM_IMAGES_DIR", str(IMAGES_CACHE / "images"))
