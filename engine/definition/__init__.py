"""The process definition (the *spec*): YAML → JSON Schema → checks → immutable model.

The lowest layer: it knows nothing of running cases or storage. Also here:
criteria evaluation (``rules``), typed fact values (``facts``), the working-day
calendar (``workdays``), the words a definition is described and compared in
(``describe``, ``diff``, ``graph``) and where definition files are found
(``catalog``, ``resources``).
"""
