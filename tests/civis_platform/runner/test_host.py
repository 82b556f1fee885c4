"""The host interface's shared parts: cancellation and its callbacks."""

from __future__ import annotations

from civis_platform.runner.host import Cancellation


def test_when_cancelled_calls_back_only_while_its_block_runs() -> None:
    cancellation = Cancellation()
    calls: list[str] = []
    with cancellation.when_cancelled(lambda: calls.append("after block")):
        pass
    cancellation.request()
    assert calls == [] and cancellation.is_set()  # nothing left to interrupt
    with cancellation.when_cancelled(lambda: calls.append("already cancelled")):
        assert calls == ["already cancelled"]
    cancellation = Cancellation()
    with cancellation.when_cancelled(lambda: calls.append("during block")):
        cancellation.request()
    assert calls == ["already cancelled", "during block"]


def test_a_failing_cancel_callback_does_not_break_the_canceller() -> None:
    def broken() -> None:
        raise RuntimeError("the session has closed")

    cancellation = Cancellation()
    with cancellation.when_cancelled(broken):
        cancellation.request()  # logged, not raised
    assert cancellation.is_set()
