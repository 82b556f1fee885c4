"""Put what a CivisML run reads into Civis files: data frames, CSV files, estimators."""

from __future__ import annotations

import io
import os
from typing import Any

from civis.io import file_to_civis
from civis.ml._arguments import FEATHER_MIN_ID

__all__ = ["upload_data", "upload_estimator"]


def _feather_bytes(df: Any) -> bytes | None:
    """The frame as feather, or None when pyarrow is missing or the frame won't go."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return None
    import pandas as pd

    frame = df
    if not isinstance(df.index, pd.RangeIndex) or df.index.name is not None:
        frame = df.reset_index()  # feather keeps no index: a named one becomes a column
    elif not (df.index.start == 0 and df.index.step == 1):
        frame = df.reset_index(drop=True)
    buf = io.BytesIO()
    try:
        frame.to_feather(buf)
    except (ValueError, TypeError):  # e.g. non-string column names
        return None
    return buf.getvalue()


def upload_data(
    client: Any, template_id: int, *, df: Any = None, csv_path: str | None = None
) -> int | None:
    """Upload ``df`` (feather for templates that read it, else CSV) or ``csv_path``;
    the new file id, or None when neither was given."""
    if df is not None:
        data = _feather_bytes(df) if template_id > FEATHER_MIN_ID else None
        if data is not None:
            return file_to_civis(io.BytesIO(data), name="modelpipeline_data.feather", client=client)
        text = df.to_csv(index=not _has_default_index(df))
        return file_to_civis(
            io.BytesIO(text.encode("utf-8")), name="modelpipeline_data.csv", client=client
        )
    if csv_path is not None:
        return file_to_civis(csv_path, name=os.path.basename(csv_path), client=client)
    return None


def _has_default_index(df: Any) -> bool:
    import pandas as pd

    return isinstance(df.index, pd.RangeIndex) and df.index.name is None


def upload_estimator(client: Any, estimator: Any, name: str, expires_at: Any = "DEFAULT") -> int:
    """A joblib dump (compress=3) of ``estimator`` as a Civis file; its id."""
    import joblib

    buf = io.BytesIO()
    joblib.dump(estimator, buf, compress=3)
    buf.seek(0)
    return file_to_civis(buf, name=name, expires_at=expires_at, client=client)
