"""A finished test lets go of its session: memory stays flat across a long run of replayed tests."""

from __future__ import annotations

import pytest

QUIET = ("-p", "no:asyncio")


def test_finished_sessions_are_released(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import gc
        import weakref

        import pytest

        sessions = []


        @pytest.mark.parametrize("n", range(5))
        @pytest.mark.interactions(record_mode="once", cassette="shared.yaml")
        def test_replayed(interactions, n):
            sessions.append(weakref.ref(interactions.session))


        def test_zz_no_session_left():
            gc.collect()
            alive = [ref for ref in sessions if ref() is not None]
            assert len(sessions) == 5
            assert alive == [], f"{len(alive)} of {len(sessions)} finished sessions are still referenced"
        """
    )
    pytester.runpytest("-p", "no:randomly", *QUIET).assert_outcomes(passed=6)
