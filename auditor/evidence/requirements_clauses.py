"""Clauses of a document's sentences, and the words that take a claim back: negation ('checkpoints
are not saved periodically'), contrast ('unlike the old script, which saved every 2 minutes'),
and the bounds that only sharpen a claim ('no more than 5 min is lost', 'no flag is needed').

auditor.evidence.requirements decides what a sentence claims; this module says whether the
clause that claims it is denied.
"""

from __future__ import annotations

import re

from auditor import rxcache

NEGATION = rxcache.compile(r"\b(?:no|not|never|nothing|no longer|doesn't|does not|won't|will not|cannot|can't)\b")


def negated_before(low: str, at: int) -> bool:
    """A negation between the last comma or colon before offset `at` and `at`."""
    start = max(low.rfind(",", 0, at), low.rfind(":", 0, at), 0)
    return bool(NEGATION.search(low[start:at]))


# what the text sets against the claim: an old version, the road not taken
CONTRAST = rxcache.compile(r"\b(?:unlike|rather than|instead of|used to)\b|"
                           # what an older version did: "the old trainer kept a progress.json"
                           r"\b(?:the|our|an?)\s+(?:old|older|previous|former|earlier|legacy)\s+(?:\w+\s+)?"
                           r"(?:trainers?|scripts?|versions?|code|pipelines?|setups?|systems?|loops?|tools?|"
                           r"implementations?|runners?|ones?)\b")
CONTRAST_REACH = 40  # characters: "unlike the old script, which resumed automatically"

CLAUSE_BREAK = rxcache.compile(r"[;:]|\.\s|\bbut\b|,\s*(?:with|while|whereas)\b")


def clause_bounds(low: str, start: int, end: int, breaks: re.Pattern = CLAUSE_BREAK) -> tuple[int, int]:
    """Where the clause of `low` holding low[start:end] begins and ends: the breaks around it."""
    before = [m.end() for m in breaks.finditer(low, 0, start)]
    after = breaks.search(low, end)
    return (before[-1] if before else 0), (after.start() if after else len(low))


def clause_around(low: str, start: int, end: int, breaks: re.Pattern = CLAUSE_BREAK) -> str:
    """The clause of `low` holding low[start:end]."""
    first, last = clause_bounds(low, start, end, breaks)
    return low[first:last]


# a negation that bounds or sharpens a claim rather than denying it
_BOUNDING = rxcache.compile(r"\b(?:no|not|never)\s+(?:more|less|longer|later|fewer)\s+than\b|\bnot\s+(?:only|just|merely)\b|"
                       r"\bno\s+(?:extra\s+|additional\s+)?(?:flags?|options?|arguments?|path|edits?|changes?)\b|"
                       r"\bno matter\b|\bnothing\s+(?:\w+\s+){0,2}?lost\b|\bno\s+(?:\w+\s+){0,2}?(?:is|gets|will be)\s+lost\b|"
                       r"\bnot lost\b|\bnever los\w*|\bnobody\s+(?:should|needs?|has)\s+to\b|\bnothing\s+(?:needs|has)\s+to\s+be\b|"
                       r"(?:\bnot|\bnever|n't)\s+(?:stop|die|block|wait|depend|rely|hang|stall)\w*")
_DENIAL = rxcache.compile(r"\b(?:no|not|never|nothing|nobody|none|neither|nor|cannot)\b|\w+n't\b")
_DENIAL_BREAK = rxcache.compile(r"[;:(),]|\.\s|\bbut\b")


def denied(low: str, at: int) -> bool:
    """The clause holding offset `at` says the requirement is not met ('checkpoints are not saved
    periodically', 'we don't keep a status.json current') or sets it against the project ('unlike the
    old script, which saved every 2 minutes', 'used to'); bounds like 'no more than' do not deny."""
    start, end = clause_bounds(low, at, at + 1, _DENIAL_BREAK)
    clause = low[start:end]
    lead = low[start:at]  # a contrast sets aside what follows it, not what comes before
    if re.match(r"\s*(?:which|that|who|where)\b", clause) and start > 1:  # "unlike X, which saved every ...": X's clause
        lead = clause_around(low, start - 2, start - 1, _DENIAL_BREAK) + lead
    return bool(_DENIAL.search(_BOUNDING.sub(" ", clause)) or CONTRAST.search(lead))


def negated_lead(low: str, at: int) -> bool:
    """The clause holding offset `at` denies what stands at `at` before it is named: 'we run no
    watchdog', 'nothing kills a job that hangs'; a negation after it ('stuck with no new lines') or
    in another clause ('we run no watchdog; the scheduler kills jobs that hang') does not."""
    start, _ = clause_bounds(low, at, at + 1, _DENIAL_BREAK)
    return bool(_DENIAL.search(_BOUNDING.sub(" ", low[start:at])))


# a mechanism said to be out of use, as what its clause says of it ("heartbeat.py is a leftover", "the keep-alive
# module is dead code", "stays unused"), not an adjective of something else ("unused ones are deleted")
_DISUSED = rxcache.compile(r"\b(?:is|are|was|were|been|stays?|remains?|now|considered|kept)\s+(?:(?:now|currently|still|"
                      r"just|only|simply|a|an|old|some)\s+)*(?:leftovers?|left over|dead code|unused|obsolete|deprecated|"
                      r"disabled|switched off|turned off|commented out)\b|"
                      # "the heartbeat thread has been removed": done once, not what happens to old files each run
                      r"\b(?:was|were|been)\s+(?:\w+\s+)?(?:removed|dropped|deleted|taken out|ripped out|retired|"
                      r"abandoned)\b|"
                      # "we removed the heartbeat thread", "we stopped saving checkpoints every 5 minutes"
                      r"\b(?:we|they|i|you)\s+(?:have\s+|had\s+)?(?:removed|dropped|deleted|retired|abandoned|stopped|"
                      r"ripped out|took out|turned off|switched off|disabled|got rid of)\b")
_DISUSE_BREAK = rxcache.compile(r"[;:,]|\.\s|\bbut\b|\b(?:which|whereas|while|unlike)\b")
# what follows the claim says it never runs: "..., but it is never started", "Nothing launches it."
_NOT_STARTED = rxcache.compile(
    r"\s*(?:(?:but|and|yet|however)\s+)?(?:(?:it|they|this|that|these|those)\s+)?"
    r"(?:(?:is|are|was|were|has|have|had|stays?|remains?)\s+)?(?:(?:still|currently|yet|ever)\s+)?"
    r"(?:not|never|isn't|aren't|wasn't|weren't|hasn't|haven't)\s+(?:(?:yet|ever|been|currently)\s+)*"
    r"(?:switched on|turned on|enabled|started|launched|wired(?: up| in)?|hooked up|called|activated|in use|"
    r"used(?!\s+(?:for|to|as|with|by)\b))\b"
    r"(?!\s+(?:in|by|during|under)\s+(?:the\s+)?(?:unit\s+)?tests?\b)|"
    r"\s*(?:(?:but|and|yet)\s+)?nothing\s+(?:\w+\s+)?(?:starts|launches|calls|runs|uses|enables|imports|spawns)\s+"
    r"(?:it|them)\b")
_NEXT_CLAUSE = rxcache.compile(r"[;,:]|\.\s")


def disowned(low: str, at: int, following: str = "") -> bool:
    """The mechanism claimed at offset `at` is said not to be in use: its clause calls it a leftover,
    dead code, obsolete or disabled, or the clause after it (or the next sentence, `following`) says
    it is never started, not switched on, or that nothing launches it."""
    if _DISUSED.search(clause_around(low, at, at + 1, _DISUSE_BREAK)):
        return True
    after = _NEXT_CLAUSE.search(low, at)
    return bool((after and _NOT_STARTED.match(low, after.end())) or _NOT_STARTED.match(following))


# test-first left to the reader: "before or after the code is up to you", "writing tests first is optional",
# "red-green is welcome if it suits you", "nobody checks the order"
_LEFT_OPEN = rxcache.compile(r"\b(?:before|first)\s+or\s+(?:after|afterwards|later|last)\b|\bup to you\b|"
                             r"\byour (?:call|choice)\b|\bwhichever\b|\bis optional\b|\b(?:does not|doesn't) matter\b|"
                             r"\b(?:are|is) welcome\b|\bif (?:it|they|that|this) suits? you\b|\bwhere it helps\b|"
                             r"\bif you (?:like|want|prefer|wish)\b|\bnot (?:required|enforced|mandatory)\b|"
                             r"\b(?:nobody|no one|no-one|no reviewer)\b[^.;]{0,20}?\b(?:checks|enforces|looks|requires|asks)\b")
_OPEN_BREAK = rxcache.compile(r"[;:]|\.\s")


def left_open(low: str, start: int, end: int) -> bool:
    """The sentence part holding low[start:end] leaves the practice to the reader."""
    return bool(_LEFT_OPEN.search(clause_around(low, start, end, _OPEN_BREAK)))


# a section that rules things out: "## Non-goals", "## Out of scope", "## Not planned", "## What we won't do",
# or lists what is kept but never run
RULED_OUT = rxcache.compile(r"\bnon[- ]?goals?\b|\bnongoals?\b|\bout of scope\b|\bnot (?:planned|supported|in scope|goals?)\b|"
                            r"\b(?:won[’']?t|will not) (?:do|fix|implement|support|build)\b|\bunsupported\b|"
                            # "## Hooks we have but do not register", "## Unused plugins": kept, never run
                            r"\b(?:do|does|did) not (?:register|enable|use|run|start|load)\b|\bunused\b|"
                            r"\bnot (?:registered|enabled|used|wired)\b")


# a file said not to be one, or none kept: "it is not a progress file", "this is not the status file",
# "there is no separate status or progress file"
NOT_PROGRESS = rxcache.compile(r"\bnot\s+(?:a|the|our)\s+(?:progress|status)\s+(?:file|report)\b|"
                               r"\bno\s+(?:[\w-]+\s+){0,3}?(?:status|progress)\s+(?:file|report)s?\b")
# a later sentence of the paragraph says the file just named is not one: "It is not a progress file: ..."
_DISCLAIMED = rxcache.compile(r"(?:^|[.;:]\s)\s*(?:it|this|that|the file|this file)\s+is\s+not\s+(?:a|the|our)\s+"
                              r"(?:progress|status)\s+(?:file|report)\b")


def disclaimed(following: str) -> bool:
    """The rest of the paragraph says the file its sentence named is not a progress file."""
    return bool(_DISCLAIMED.search(following))


__all__ = ["CLAUSE_BREAK", "CONTRAST", "CONTRAST_REACH", "NEGATION", "NOT_PROGRESS", "RULED_OUT", "clause_around", "clause_bounds", "denied",
           "disclaimed", "disowned", "left_open", "negated_before",
           "negated_lead"]
