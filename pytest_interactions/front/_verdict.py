"""What a session served to another process found: the client's mistakes, as a failing test says
them, for people (text with the timeline) and for tools (JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pytest_interactions.protocol import Violation, render_timeline
from pytest_interactions.session import Session, session_findings


@dataclass
class Verdict:
    """Everything wrong with a finished session (nothing: the client passed)."""

    cassette: str
    violations: list[Violation] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Unanswered requests, resumes from events the stream never had, stalls, reconnect loops."""
    unapplied: list[str] = field(default_factory=list)
    """Planned faults that never happened: the client was not tested under them."""
    text: str | None = None
    timeline: str = ""

    @property
    def passed(self) -> bool:
        return not (self.violations or self.problems or self.unapplied)

    def mistakes(self) -> list[str]:
        """One line per mistake, each naming its check (``[resume] ...``)."""
        return [str(v) for v in self.violations] + self.problems + self.unapplied

    def to_json(self) -> dict[str, Any]:
        return {
            "cassette": self.cassette,
            "passed": self.passed,
            "violations": [
                {
                    "check": v.check,
                    "message": v.message,
                    "interaction_id": v.interaction_id,
                    "at": v.at,
                    "origin": v.origin,
                    "also": [{"check": a.check, "message": a.message} for a in v.also],
                }
                for v in self.violations
            ],
            "problems": self.problems,
            "unapplied_faults": self.unapplied,
            "timeline": self.timeline,
        }


def verdict(session: Session) -> Verdict:
    """The verdict on ``session`` once its client is done."""
    violations = session.violations()
    problems = [*session.problems(), *session.stalls(), *session.loops()]
    timeline = session.redact(
        render_timeline(session.transcript, violations, "timeline (seconds since the start):")
    )
    return Verdict(
        str(session.path),
        violations,
        problems,
        session.unapplied_faults(),
        session_findings(session),
        timeline,
    )
