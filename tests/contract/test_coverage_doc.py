"""docs/COVERAGE.md is generated; it must match what the server serves today."""

from __future__ import annotations

import coverage_matrix as coverage_script  # scripts/coverage_matrix.py


def test_render_marks_implemented_and_deprecated_operations() -> None:
    reference = {
        "paths": {
            "/files/": {"post": {"summary": "Upload"}},
            "/files/{id}": {"get": {"summary": "Get"}, "delete": {"summary": "Deprecated: gone"}},
            "/users/me": {"get": {"summary": "Me"}},
        }
    }
    ours = {"paths": {"/files/{id}": {"get": {}}, "/users/me": {"get": {}}, "/x": {"get": {}}}}
    text = coverage_script.render(reference, ours)
    assert "**2 of the 4 operations**" in text
    assert "| [files](#files) | 1 | 3 |" in text
    assert "| yes | GET | `/files/{id}` |" in text
    assert "|  | POST | `/files/` |" in text
    assert "|  | DELETE | `/files/{id}` *(deprecated)* |" in text
    assert "| GET | `/x` |" in text  # beyond the reference


def test_coverage_doc_is_up_to_date() -> None:
    expected = coverage_script.generate()
    actual = coverage_script.COVERAGE_DOC.read_text()
    assert actual == expected, "docs/COVERAGE.md is stale: run `make coverage-doc`"
