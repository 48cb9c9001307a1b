"""A running case, in memory: its history replayed on the ``transitions`` machine,
its deadlines, and what a new edition would change (``editions``).

Imports only the definition layer. Knows nothing of storage.
"""
