"""Automatic preprocessing of mixed-type tables, as one scikit-learn `ColumnTransformer`.

Numeric columns: median imputation (plus `StandardScaler` for models that need scaled
inputs). Everything else (strings, categories, booleans): most-frequent imputation and
one-hot expansion that ignores categories unseen in training. Columns are chosen by
dtype when the pipeline is fitted, so the fitted pipeline scores new frames by name.

Examples:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"x": [1.0, None, 3.0], "c": ["a", "b", None]})
    >>> preprocessor(scale=True).fit_transform(frame).shape
    (3, 3)
"""

from __future__ import annotations

import numpy as np
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

MAX_CATEGORIES = 50  # rarer categories share one "infrequent" column


def preprocessor(*, scale: bool) -> ColumnTransformer:
    """The preprocessing step of a predefined model's pipeline."""
    numeric: list[tuple[str, object]] = [("impute", SimpleImputer(strategy="median"))]
    if scale:
        numeric.append(("scale", StandardScaler()))
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            (
                "onehot",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist",
                    max_categories=MAX_CATEGORIES,
                    sparse_output=False,
                ),
            ),
        ]
    )
    return ColumnTransformer(
        [
            ("numeric", Pipeline(numeric), make_column_selector(dtype_include=np.number)),
            ("categorical", categorical, make_column_selector(dtype_exclude=np.number)),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )
