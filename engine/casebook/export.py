"""One case's history as a file anyone can check without cspr (``cspr audit export``).

The file holds each entry's content (or ``null`` where a redaction removed
it), digest and hashes, the case's head, how to verify it in words, and a
short script that does, in Python with only its standard library. A case's
chain is unkeyed on purpose, so a third party needs no secret: the script
proves the entries are complete, in order and unaltered since the head, and
that every removed content is named by a redaction entry (who, when, why).
That the head itself is the deployment's is for the deployment to confirm:
``cspr audit verify`` checks the case's entries against the keyed database
chain and the anchor log.
"""

from __future__ import annotations

from typing import Any

from cspr.engine.store.chain import GENESIS

from .history import row_content

FORMAT = "cspr-case-history/2"

EXPORT_INSTRUCTIONS = [
    "Entries are numbered 1, 2, 3... with none missing. Each entry's digest is sha256 of its 'content' written as "
    "canonical JSON: keys sorted, no spaces (separators ',' and ':'), UTF-8 with non-ASCII characters as "
    "themselves. A redacted entry's content was removed (null); its digest stands in for it.",
    "Each entry's hash is sha256 of the previous entry's hash, a newline and this entry's digest; the first "
    "entry's previous hash is the 'genesis' value. Hashes are written 'sha256:' and 64 hex digits.",
    "Content may only be missing where a later entry of kind 'redacted' names it in its data's 'entries' (an "
    "early redaction entry gives a count instead, meaning every entry before it); that entry says who redacted, "
    "when and why.",
    "The last entry's hash is the case's 'head'. The script in 'verify_with_python' (Python 3, standard "
    "library only) checks all of this: save it as verify.py and run: python3 verify.py THIS_FILE.json",
]

VERIFY_SCRIPT = [
    "import hashlib, json, sys",
    "def h(text): return 'sha256:' + hashlib.sha256(text.encode('utf-8')).hexdigest()",
    "export = json.load(open(sys.argv[1], encoding='utf-8'))",
    "previous, removed, named = export['genesis'], [], set()",
    "for number, entry in enumerate(export['entries'], start=1):",
    "    assert entry['seq'] == number, f'entry {number} is missing or out of place'",
    "    content = entry['content']",
    "    if content is None:",
    "        removed.append(number)",
    "    else:",
    "        assert (content['case'], content['seq']) == (export['case'], number), f'entry {number} belongs elsewhere'",
    "        text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(',', ':'))",
    "        assert h(text) == entry['digest'], f'entry {number}: content does not match its digest'",
    "        if content['kind'] == 'redacted':",
    "            listed = content['data'].get('entries')",
    "            named |= {s for s in (listed if isinstance(listed, list) else range(1, number)) if s < number}",
    "    assert entry['prev_hash'] == previous, f'entry {number}: does not follow the entry before it'",
    "    assert h(previous + '\\n' + entry['digest']) == entry['hash'], f'entry {number}: wrong hash'",
    "    previous = entry['hash']",
    "assert previous == export['head'], 'the last hash is not the head'",
    "unexplained = [n for n in removed if n not in named]",
    "assert not unexplained, f'entries {unexplained}: content removed, but no redaction entry names them'",
    "print('verified', len(export['entries']), 'entries of', export['case'], 'head', previous)",
]


def export(store: Any, ref: str) -> dict[str, Any]:
    """Case ``ref``'s history with its hashes, instructions and verifying script."""
    entries = store.entries(ref)
    out = []
    for row in entries:
        out.append({
            "seq": row["seq"],
            "content": None if row["redacted"] else row_content(row),
            "redacted": bool(row["redacted"]),
            "digest": row["digest"], "prev_hash": row["prev_hash"], "hash": row["hash"],
        })
    return {
        "format": FORMAT, "case": ref, "genesis": GENESIS,
        "head": entries[-1]["hash"] if entries else GENESIS, "entries": out,
        "how_to_verify": EXPORT_INSTRUCTIONS, "verify_with_python": VERIFY_SCRIPT,
    }
