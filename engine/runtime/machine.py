"""The state machine of one process version, built on ``transitions``.

One :class:`transitions.Machine` is built per definition (cached by content
hash) with ``auto_transitions=False``, so nothing can move a case except an
event of the definition. Guards are built here, as Python callables that ask
the running case whether the event's requirements are met; no string from the
YAML is ever handed to ``transitions`` as a callable.

Cases are not kept attached: a case is attached to the machine for one run
of events (``add_model``: a replay, one command, one synthetic case) and
detached afterwards, so the machine never holds more than a handful of
models, whatever the number of cases.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from cspr.engine.definition.model import Definition

if TYPE_CHECKING:  # pragma: no cover
    from .case import Case

_STATE = "_cspr_state"
POOL = 8


class _Token:
    """What ``transitions`` moves: a state attribute and a link to the case.

    Attribute names start with an underscore so they can never collide with
    the trigger methods ``transitions`` adds (event ids start with a letter).
    """

    def __init__(self, case: Case, by: str | None):
        self._cspr_case = case
        self._cspr_by = by
        setattr(self, _STATE, case.state)


class Interpreter:
    """Fires the events of one definition on cases."""

    def __init__(self, definition: Definition):
        from transitions import Machine

        # transitions logs a warning when it cannot bind a trigger method; the
        # engine never uses those methods, so the warning is noise for users.
        logging.getLogger("transitions.core").setLevel(logging.ERROR)
        self.definition = definition
        self._free: list[_Token] = []
        self.machine = Machine(
            model=None,
            states=list(definition.states),
            initial=definition.initial_state.id,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
            model_attribute=_STATE,
        )
        for event in definition.events.values():
            self.machine.add_transition(
                trigger=event.id,
                source=list(event.sources),
                dest=event.target,
                conditions=[self._requirements_met],
            )

    @staticmethod
    def _requirements_met(event_data: Any) -> bool:
        token: _Token = event_data.model
        case = token._cspr_case
        return case.trusting or not case.blockers(event_data.event.name, token._cspr_by)

    @contextmanager
    def attached(self, case: Case, by: str | None = None) -> Iterator[_Token]:
        token = _Token(case, by)
        self.machine.add_model(token, initial=case.state)
        try:
            yield token
        finally:
            self.machine.remove_model(token)

    def attach(self, case: Case) -> _Token:
        """Attach a case for a run of events (a replay, a bulk load); detach it with :meth:`detach`.

        Detached tokens are kept, still registered with the machine, and reused
        for the next case (registering a model binds a method per event, which
        costs more than the events it then fires); at most POOL are kept.
        """
        if self._free:
            token = self._free.pop()
            token._cspr_case, token._cspr_by = case, None
            setattr(token, _STATE, case.state)
            return token
        token = _Token(case, None)
        self.machine.add_model(token, initial=case.state)
        return token

    def detach(self, token: _Token) -> None:
        token._cspr_case = None  # type: ignore[assignment]
        if len(self._free) < POOL:
            self._free.append(token)
        else:
            self.machine.remove_model(token)

    def fire(self, case: Case, event_id: str, by: str | None) -> str | None:
        """Fire ``event_id``; return the new state, or None if not allowed now."""
        from transitions import MachineError

        token = case.token
        if token is None:
            with self.attached(case, by) as token:
                return self._trigger(token, event_id, MachineError)
        token._cspr_by = by
        setattr(token, _STATE, case.state)
        return self._trigger(token, event_id, MachineError)

    def _trigger(self, token: _Token, event_id: str, refused: type[Exception]) -> str | None:
        try:
            moved = self.machine.events[event_id].trigger(token)
        except refused:
            return None
        return getattr(token, _STATE) if moved else None


_CACHE: dict[str, Interpreter] = {}


def interpreter(definition: Definition) -> Interpreter:
    """The interpreter of ``definition``, built once per content hash."""
    found = _CACHE.get(definition.content_hash)
    if found is None:
        found = _CACHE[definition.content_hash] = Interpreter(definition)
    return found
