"""Hypothesis settings for the whole suite.

`HYPOTHESIS_PROFILE=ci` (set by .ci/run) draws the same examples on every run, so that a red
CI is reproducible from its log and cannot come and go between two runs of one commit; without
it, every local run explores new examples (which is how the fuzzing finds new bugs).
"""

from __future__ import annotations

import os
import tempfile

from hypothesis import settings

settings.register_profile("ci", derandomize=True)
if os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])

# tests/corpus/ holds other teams' projects as data for the auditor: their tests import
# frameworks we do not install and are never ours to run.
collect_ignore_glob = ["corpus/*"]

# Audits the suite runs (in this process and in the ones it starts) read every file afresh: a
# test that patches the auditor in-process must not leave its result for the next test in the
# column cache (auditor.colcache keys entries on the auditor's source, not on patches). The
# cache's own tests turn it on, with a folder of this session, never the user's ~/.cache.
os.environ.setdefault("AUDIT_NO_CACHE", "1")
os.environ.setdefault("AUDIT_CACHE_DIR", tempfile.mkdtemp(prefix="audit-cache-"))
