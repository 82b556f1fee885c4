"""Differential test: public callables have the official parameter names, kinds, defaults."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import support

pytestmark = pytest.mark.official

NAMES = [
    "civis.APIClient",
    "civis.APIClient.get_database_id",
    "civis.APIClient.get_table_id",
    "civis.APIClient.get_aws_credential_id",
    "civis.APIClient.get_database_credential_id",
    "civis.APIClient.get_storage_host_id",
    "civis.find",
    "civis.find_one",
    "civis.civis_logger",
    "civis.response.Response",
    "civis.response.ListResponse",
    "civis.response.PaginatedResponse",
    "civis.response.convert_response_data_type",
    "civis.response.CivisClientError",
    "civis.base.CivisAPIError",
    "civis.base.CivisJobFailure",
    "civis.base.get_base_url",
    "civis.tests.create_client_mock",
    "civis.tests.create_client_mock_for_container_tests",
    "civis.io.read_civis",
    "civis.io.read_civis_sql",
    "civis.io.export_to_civis_file",
    "civis.io.civis_to_csv",
    "civis.io.civis_to_multifile_csv",
    "civis.io.query_civis",
    "civis.io.transfer_table",
    "civis.io.civis_file_to_table",
    "civis.io.csv_to_civis",
    "civis.io.dataframe_to_civis",
    "civis.io.split_schema_tablename",
    "civis.ml.ModelPipeline",
    "civis.ml.ModelPipeline.train",
    "civis.ml.ModelPipeline.predict",
    "civis.ml.ModelPipeline.register_pretrained_model",
    "civis.ml.ModelPipeline.from_existing",
    "civis.ml.ModelFuture",
    "civis.ml.ModelError",
    "civis.ml.list_models",
    "civis.ml.put_models_shares_users",
    "civis.ml.put_models_shares_groups",
    "civis.ml.delete_models_shares_users",
    "civis.ml.delete_models_shares_groups",
]

PROBE = """
import importlib, inspect, json, sys, warnings
warnings.simplefilter("ignore", FutureWarning)  # the official civis.ml is deprecated
out = {}
for dotted in json.loads(sys.argv[1]):
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        break
    sig = inspect.signature(obj)
    out[dotted] = [(p.name, p.kind.name, repr(p.default)) for p in sig.parameters.values()]
print(json.dumps(out))
"""

# Deliberate extension: our mocks can be given the spec (we do not bundle it).
EXTRA_PARAMS = {"civis.tests.create_client_mock_for_container_tests": ["cache"]}


def test_public_signatures_match() -> None:
    try:
        official = str(support.official_python())
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    results = [
        json.loads(
            subprocess.run(
                [python, "-c", PROBE, json.dumps(NAMES)],
                check=True,
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout
        )
        for python in (official, sys.executable)
    ]
    theirs, ours = results
    for name in NAMES:
        mine = [p for p in ours[name] if p[0] not in EXTRA_PARAMS.get(name, [])]
        assert mine == theirs[name], name
