"""Persistence of case histories and their projections; the only layer that speaks SQL.

``sqlite`` is the embedded store; ``chain`` computes the hash chains every entry
is linked into. Imports the definition and runtime layers, never those above.
"""
