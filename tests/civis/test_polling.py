"""PollableResult with in-process pollers: backoff, states, and the official signatures of
the futures, polling, utils and io functions."""

from __future__ import annotations

import inspect
import itertools
import json
import subprocess
import time

import pytest

import support
from civis.polling import _MAX_POLLING_INTERVAL, DEFAULT_FIRST_INTERVAL, PollableResult
from civis.response import Response


class Steps:
    """A poller that answers the given states in order (the last one repeats)."""

    def __init__(self, *states: str) -> None:
        self.states = list(states)
        self.times: list[float] = []

    def __call__(self) -> Response:
        self.times.append(time.monotonic())
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return Response({"state": state, "error": "bad" if state == "failed" else None})


def test_backoff_is_geometric_from_50_ms() -> None:
    poller = Steps("queued", "queued", "queued", "queued", "succeeded")
    result = PollableResult(poller, (), poll_on_creation=False)
    assert result.result(timeout=5).state == "succeeded"
    gaps = [b - a for a, b in itertools.pairwise(poller.times)]
    assert len(poller.times) == 5
    assert gaps[0] < DEFAULT_FIRST_INTERVAL * 3
    assert all(later > earlier for earlier, later in itertools.pairwise(gaps))
    assert _MAX_POLLING_INTERVAL == 15


def test_poll_on_creation_is_synchronous() -> None:
    poller = Steps("succeeded")
    result = PollableResult(poller, ())
    assert len(poller.times) == 1 and result.done()


@pytest.mark.parametrize("bad", [0, -1])
def test_polling_interval_must_be_positive(bad: float) -> None:
    with pytest.raises(ValueError):
        PollableResult(Steps("succeeded"), (), polling_interval=bad)


def test_cleanup_stops_polling() -> None:
    poller = Steps("running")
    result = PollableResult(poller, (), polling_interval=0.01)
    result.cleanup()
    time.sleep(0.1)
    count = len(poller.times)
    time.sleep(0.1)
    assert len(poller.times) == count and not result.done()


def test_official_signatures() -> None:
    """Our public callables take the official parameters, in order, with the same defaults.

    (The official PollableResult and the deprecated ContainerFuture report
    ``(*args, **kwargs)`` through decorators; ours have the documented parameters.)
    """
    try:
        python = support.official_python()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    names = {
        "civis.futures": ["CivisFuture"],
        "civis.utils": ["run_job", "run_template", "job_logs"],
        "civis.io": [
            "civis_to_file",
            "file_to_civis",
            "dataframe_to_file",
            "file_id_from_run_output",
            "file_to_dataframe",
            "file_to_json",
            "json_to_file",
            "split_schema_tablename",
        ],
    }
    code = (
        "import importlib, inspect, json, sys\n"
        "names = json.loads(sys.argv[1])\n"
        "out = {}\n"
        "for mod, objs in names.items():\n"
        "    m = importlib.import_module(mod)\n"
        "    for o in objs:\n"
        "        sig = inspect.signature(getattr(m, o))\n"
        "        out[mod + '.' + o] = [(p.name, str(p.kind), repr(p.default))"
        " for p in sig.parameters.values()]\n"
        "print(json.dumps(out))\n"
    )
    out = subprocess.run(
        [str(python), "-c", code, json.dumps(names)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    official = json.loads(out.stdout)
    import importlib

    for mod, objs in names.items():
        module = importlib.import_module(mod)
        for obj in objs:
            sig = inspect.signature(getattr(module, obj))
            ours = [[p.name, str(p.kind), repr(p.default)] for p in sig.parameters.values()]
            theirs = official[f"{mod}.{obj}"]
            # Only parameter names, kinds and default presence must match; default reprs
            # of sentinel objects differ by address.
            assert [(n, k) for n, k, _ in ours] == [(n, k) for n, k, _ in theirs], obj
            for (name, _, ours_default), (_, _, their_default) in zip(ours, theirs, strict=True):
                if "object at" not in their_default:
                    assert ours_default == their_default, (obj, name)


@pytest.mark.parametrize(
    "name",
    [
        "civis.polling",
        "civis.futures",
        "civis.io._transfer",
        "civis.io._files",
        "civis.io._tables",
        "civis.io._frames",
        "civis.utils._jobs",
    ],
)
def test_examples_run(name: str) -> None:
    """The Examples sections of the data-plane modules run (network ones are skipped)."""
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


class HeldSteps(Steps):
    """A poller like a civis-platform server: it records the ``Prefer`` header each call
    carried and, when asked to wait, answers with ``Preference-Applied``."""

    def __init__(self, *states: str, honour: bool = True) -> None:
        super().__init__(*states)
        self.honour = honour
        self.prefer: list[str | None] = []

    def __call__(self) -> Response:
        from civis._http import _EXTRA_HEADERS

        prefer = (_EXTRA_HEADERS.get() or {}).get("Prefer")
        self.prefer.append(prefer)
        answer = super().__call__()
        applied = {"Preference-Applied": prefer} if prefer and self.honour else {}
        return Response(dict(answer), headers=applied)


def test_scheduled_polls_ask_to_be_held_and_follow_up_at_once() -> None:
    poller = HeldSteps("queued", "running", "running", "running", "succeeded")
    result = PollableResult(poller, ())
    assert result.result(timeout=5).state == "succeeded"
    # The poll made in the constructor must not block; scheduled ones ask to be held.
    assert poller.prefer[0] is None
    assert set(poller.prefer[1:]) == {"wait=10"}
    gaps = [b - a for a, b in itertools.pairwise(poller.times[1:])]
    assert max(gaps) < DEFAULT_FIRST_INTERVAL  # no backoff once the server holds polls


def test_servers_that_ignore_the_preference_get_the_usual_backoff() -> None:
    poller = HeldSteps("queued", "queued", "queued", "queued", "succeeded", honour=False)
    result = PollableResult(poller, (), poll_on_creation=False)
    assert result.result(timeout=5).state == "succeeded"
    gaps = [b - a for a, b in itertools.pairwise(poller.times)]
    assert all(later > earlier for earlier, later in itertools.pairwise(gaps))


def test_a_fixed_polling_interval_never_asks_to_be_held() -> None:
    poller = HeldSteps("queued", "succeeded")
    result = PollableResult(poller, (), polling_interval=0.01, poll_on_creation=False)
    result.result(timeout=5)
    assert poller.prefer == [None, None]


@pytest.mark.parametrize(
    "platform, interval, first",
    [
        ({"longPolling": True}, None, 0.0),  # civis-platform: ask at once, it holds the poll
        ({}, None, DEFAULT_FIRST_INTERVAL),  # Civis: the usual first wait
        ({"longPolling": True}, 2.0, 2.0),  # a fixed interval is the caller's choice
    ],
)
def test_the_first_poll_waits_only_for_servers_that_do_not_hold_polls(
    monkeypatch: pytest.MonkeyPatch,
    platform: dict[str, bool],
    interval: float | None,
    first: float,
) -> None:
    from civis import polling

    delays: list[float] = []
    monkeypatch.setattr(polling._SCHEDULER, "schedule", lambda _f, delay: delays.append(delay))

    class Model:
        pass

    class Client:
        _model = Model()

    Client._model.platform = platform  # type: ignore[attr-defined]
    PollableResult(
        Steps("queued"), (), polling_interval=interval, client=Client(), poll_on_creation=False
    )
    assert delays == [first]
