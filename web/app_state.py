"""What every handler of one application shares: its settings, templates, processes and sign-in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from starlette.requests import Request

from .accounts import Authenticator
from .catalog import ProcessCatalog
from .rendering import Renderer
from .settings import Settings


@dataclass(frozen=True)
class Web:
    settings: Settings
    renderer: Renderer
    auth: Authenticator | None

    @property
    def catalog(self) -> ProcessCatalog:
        return self.settings.catalog

    def today(self) -> dt.date:
        return self.settings.today()


def state(request: Request) -> Web:
    web: Web = request.app.state.web
    return web
