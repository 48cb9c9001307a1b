"""Persistence of case histories and their projections; the only layer that speaks SQL.

``interface`` is the contract (the :class:`~.interface.Store` protocol) and
:func:`~.interface.open_store`, which picks an engine from a ``--db`` value;
``sqlite`` is the embedded store, ``postgres`` the shared one; ``sql`` holds the
queries both share, ``migrations`` the schema's versions, and ``chain`` computes
the hash chains every entry is linked into. Imports the definition and runtime
layers, never those above.
"""
