"""Testing helpers for code that uses the civis client (mirrors the official ``civis.tests``).

Examples
--------
>>> from civis.tests import create_client_mock
>>> client = create_client_mock("civis_api_spec.json")  # doctest: +SKIP
>>> client.files.get.return_value = {"id": 1}  # doctest: +SKIP
"""

from civis.tests.mocks import create_client_mock, create_client_mock_for_container_tests

__all__ = ["create_client_mock", "create_client_mock_for_container_tests"]
