"""Rendering results for people and other tools: SVG diagrams, HTML reports, iCalendar.

Pure functions of definitions, cases and report data; no storage, no I/O.
"""
