"""Operations on the cases in a store: what the commands and the web application call.

Each write is one transaction (read, replay, check, append, project); reads
replay cases or read projections. Also here: agreed actions, audit
(verification and exports), bulk loading, synthetic cases, scenarios and reports.
"""

from .book import Casebook, CaseNotFound, CaseView

__all__ = ["CaseNotFound", "CaseView", "Casebook"]
