"""CivisML from Python: train scikit-learn models on Civis Platform and score with them.

Examples
--------
>>> from civis.ml import ModelPipeline
>>> model = ModelPipeline("sparse_logistic", "upgrade")  # doctest: +SKIP
>>> train = model.train(table_name="s.training", database_name="db")  # doctest: +SKIP
>>> train.metrics["roc_auc"]  # doctest: +SKIP
0.846
"""

from __future__ import annotations

from civis.ml._errors import ModelError
from civis.ml._future import ModelFuture
from civis.ml._pipeline import ModelPipeline
from civis.ml._registry import (
    delete_models_shares_groups,
    delete_models_shares_users,
    list_models,
    put_models_shares_groups,
    put_models_shares_users,
)

__all__ = [
    "ModelError",
    "ModelFuture",
    "ModelPipeline",
    "delete_models_shares_groups",
    "delete_models_shares_users",
    "list_models",
    "put_models_shares_groups",
    "put_models_shares_users",
]
