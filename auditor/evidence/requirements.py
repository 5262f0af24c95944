"""Requirements in the project's own words: which passage states (or implies) each built-in rule.

A document is cut into statements: the sentences of its paragraphs, list items and table rows
(code blocks are not statements; they are kept as context for the text after them, like the
heading a statement sits under; a heading names a topic and states nothing by itself). Each built-in requirement is recognised by meaning: concepts
and their synonyms ("persists its whole state on a timer", "carries on from its newest saved
state", "a liveness signal"), negation ("does not pick up an old checkpoint by itself") and
contrast ("without `--resume` it starts from scratch" names the run an option is missing from; it
is no claim that a restart resumes with nothing given), what a thing is for ("the quickest way to
see which step a run is at"), and numbers with units ("every two minutes", "1-5 min", "every
`save_steps` steps").

The answer for a requirement is its best statement: `stated` (In Docs? yes), `implied`
(partial: the text only implies it), or `other` (a neighbouring requirement was documented
instead: a wall-clock interval outside the bounds). Nothing is a match: not documented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor import rxcache
from auditor.evidence.durations import BETWEEN_SAVES as _BETWEEN_SAVES
from auditor.evidence.durations import NUM as _NUM
from auditor.evidence.durations import PERIOD as _PERIOD
from auditor.evidence.durations import ROW_QUANTITY as _ROW_QUANTITY
from auditor.evidence.durations import SECONDS as _SECONDS
from auditor.evidence.durations import STEP_PERIOD as _STEP_PERIOD
from auditor.evidence.durations import TIME_UNIT as _TIME_UNIT
from auditor.evidence.durations import UNIT_BETWEEN_SAVES as _UNIT_BETWEEN_SAVES
from auditor.evidence.durations import durations as _durations
from auditor.evidence.durations import fmt as _fmt
from auditor.evidence.durations import number as _number
from auditor.evidence.requirements_clauses import CONTRAST as _CONTRAST
from auditor.evidence.requirements_clauses import CONTRAST_REACH as _CONTRAST_REACH
from auditor.evidence.requirements_clauses import NEGATION as _NEGATION
from auditor.evidence.requirements_clauses import NOT_PROGRESS as _NOT_PROGRESS
from auditor.evidence.requirements_clauses import RULED_OUT as _RULED_OUT
from auditor.evidence.requirements_clauses import clause_around as _clause_around
from auditor.evidence.requirements_clauses import denied as _denied
from auditor.evidence.requirements_clauses import disclaimed as _disclaimed
from auditor.evidence.requirements_clauses import disowned as _disowned
from auditor.evidence.requirements_clauses import left_open as _left_open
from auditor.evidence.requirements_clauses import negated_before as _negated_before
from auditor.evidence.requirements_clauses import negated_lead as _negated_lead

STATED, IMPLIED, OTHER = "stated", "implied", "other"
# a wall-clock interval outside the bounds (other) is a wall-clock term: it outranks a steps-only mention (implied)
_RANK = {STATED: 3, OTHER: 2, IMPLIED: 1}


@dataclass(frozen=True)
class Statement:
    """One sentence of a document: where it is, its text, and what surrounds it."""

    document: str
    line: int  # 1-based line the sentence starts on
    text: str  # as written (Markdown emphasis removed), one line
    low: str  # lower-cased, for matching
    context: str  # lower-cased heading and code block(s) of its section, and the rest of its paragraph
    paragraph: str = ""  # lower-cased text of its paragraph (list item, table row), for a pronoun's noun
    line_starts: tuple[tuple[int, int], ...] = ()  # (offset in text, line number) where each source line begins
    heading: str = ""  # lower-cased heading of its section
    title: bool = False  # a heading: a topic's name, context for its section, never a statement of it

    def line_at(self, offset: int) -> int:
        line = self.line
        for start, number in self.line_starts:
            if start <= offset:
                line = number
        return line


@dataclass(frozen=True)
class Finding:
    """The passage that decides a requirement's In Docs? cell."""

    requirement: str
    level: str  # stated | implied | other
    document: str
    line: int
    excerpt: str
    why: str  # what in it was recognised


# --------------------------------------------------------------------------- statements

_FENCE = rxcache.compile(r"^\s*(```|~~~)")
_HEADING = rxcache.compile(r"^\s{0,3}#{1,6}\s+(.*)$")
_ITEM = rxcache.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?")
_TABLE_RULE = rxcache.compile(r"^\s*\|?\s*:?-{3,}")
_LINK = rxcache.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = rxcache.compile(r"[*`]|~~|(?<![\w])_{1,2}|_{1,2}(?![\w])")
_SENTENCE_END = rxcache.compile(r"(?<=[.!?;])\s+(?=[A-Z`*_(\"'])|(?<=:)\s+(?=[A-Z])")


def _clean(line: str) -> str:
    line = _LINK.sub(r"\1", line)
    return _EMPHASIS.sub("", line)


def _units(text: str) -> list[tuple[list[tuple[int, str]], str, str | None]]:
    """Paragraphs, list items and table rows as (lines, section context, section heading); a heading
    is a unit of its own, with None for its section heading."""
    units: list[tuple[list[tuple[int, str]], str, str | None]] = []
    current: list[tuple[int, str]] = []
    heading, code = "", ""
    in_code = False

    def close() -> None:
        nonlocal current
        if current:
            units.append((current, f"{heading} {code}".lower(), heading.lower()))
        current = []

    previous_blank, indented_code = True, False
    for number, raw in enumerate(text.splitlines(), start=1):
        if _FENCE.match(raw):
            close()
            in_code = not in_code
            continue
        # an indented code block: four spaces (or a tab) after a blank line, until text resumes
        indented_code = bool(raw.strip()) and (raw.startswith(("    ", "\t")) and (previous_blank or indented_code))
        previous_blank = not raw.strip() or (previous_blank and indented_code)
        if in_code or indented_code:
            close()
            code += " " + raw.strip()
            continue
        if not raw.strip() or _TABLE_RULE.match(raw):
            close()
            continue
        if (m := _HEADING.match(raw)) is not None:
            close()
            heading, code = m.group(1).strip(), ""
            units.append(([(number, m.group(1).strip())], "", None))
            continue
        if _ITEM.match(raw) or raw.lstrip().startswith("|"):
            close()
            raw = _ROW_QUANTITY.sub(r"\1 ", _ITEM.sub("", raw).replace("|", " ; "))
        current.append((number, _clean(raw).strip()))
    close()
    return units


def statements(path: str, document_text: str) -> list[Statement]:
    """The sentences of the document at `path` (its text given), each with its line and its section's context."""
    out: list[Statement] = []
    for lines, context, heading in _units(document_text):
        text, starts = "", []
        for number, piece in lines:
            if text:
                text += " "
            starts.append((len(text), number))
            text += piece
        paragraph = text.lower()
        offset = 0
        for sentence in _SENTENCE_END.split(text):
            at = text.find(sentence, offset)
            offset = at + len(sentence)
            if not sentence.strip():
                continue
            first = max((n for s, n in starts if s <= at), default=lines[0][0])
            local = tuple((s - at, n) for s, n in starts if at <= s < offset)
            out.append(Statement(path, first, sentence.strip(), sentence.lower(), f"{context} {paragraph}",
                                 paragraph=paragraph, line_starts=local, heading=heading or "",
                                 title=heading is None))
    return out


# --------------------------------------------------------------------------- vocabulary

_CKPT = rxcache.compile(r"checkpoint|ckpt|snapshot|\.pth?\b|safetensors|save_state|save_checkpoint|save_pretrained|"
                   r"state files?\b")
_STATE = rxcache.compile(r"\b(?:state|weights|model|parameters|optimi[sz]er)\b")
_SAVE = rxcache.compile(r"\b(?:sav(?:e|es|ed|ing)|writ(?:e|es|ten|ing)|persist(?:s|ed|ing)?|dump(?:s|ed)?|stor(?:e|es|ed)|"
                   r"serializ\w*|overwrit\w*|snapshot(?:s|ted)?)\b|save_\w+|\.save\(")
_REPEATED = rxcache.compile(r"\bevery\b|\beach\b|periodic|regularly|at regular|interval|\btimer\b|incremental|"
                       r"repeatedly|during training|while (?:it |the job |training |the run )?(?:trains|runs|is running)")
_PROGRESS_FILE = rxcache.compile(r"\b(?:status|progress|state)(?:\.json|\.txt|\.ya?ml|\s+file)|\bprogress\.\w+|"
                            r"\bstatus\.\w+|\bprogress file")
_FRESH = rxcache.compile(r"current|up[- ]to[- ]date|updat\w*|rewrit\w*|refresh\w*|\bevery\b|\bkept\b|\bkeeps?\b|overwrit\w*")
# a file named with a data extension (not a log, a table or a checkpoint)
_DATA_FILE = rxcache.compile(r"[\w./-]*\b[\w-]+\.(?:json|txt|ya?ml|toml)\b")
# what a file is read for: how far training is, the step or epoch it is at now
_AT_NOW = r"(?:is|it'?s|are|they'?re)\s+(?:at|on|in|up to)|(?:has|have)\s+(?:reached|got to|got)|reached|got to"
_TRAINING = r"(?:(?:the|a|this|its|each)\s+)?(?:training|run|job|fit|trainer|model|experiment|it)"
_SHOWS_PROGRESS = rxcache.compile(
    rf"\b(?:which|what)\s+(?:step|epoch|iteration|batch|update)\s+{_TRAINING}\s+(?:{_AT_NOW})\b|"
    rf"\bhow far\s+(?:along\s+)?{_TRAINING}\s+(?:is|are|has got|has gotten|got|has come|has progressed)\b|"
    r"\bthe current (?:step|epoch|iteration|chunk|batch)\b|\bwhere (?:training|the run|a run|the job|a job|it) (?:is|has got)\b")
_DASHBOARD = rxcache.compile(r"tensorboard|wandb|weights (?:&|and) biases|mlflow|dashboard|comet\.ml|neptune|visdom|"
                        r"progress bar|tqdm")
# a log followed live (`tail -f train.log`, `less +F out.log`; documents are read lower-cased): a view of
# progress that is not a progress file, as a dashboard is
_FOLLOWED_LOG = rxcache.compile(r"\btail\s+(?:-n\s*\d+\s+)?-(?:f|-follow)\b|\bless\s+\+f\b")
# a dashboard the section's commands start (`tensorboard --logdir ...`), not one a flag turns off
_DASHBOARD_RUN = rxcache.compile(r"(?<![\w-])(?:tensorboard|wandb|mlflow|aim up|visdom)\b(?!\s*=\s*(?:false|0|none))")
_METRIC = rxcache.compile(r"\bloss(?:es)?\b|metric|accuracy|learning rate|throughput|grad(?:ient)? norm|perplexity|"
                     r"\brewards?\b|\b(?:episode|episodic|mean|average) returns?\b")
# a log that receives a line (an entry, a record) per unit of training, whatever the line holds
_LOG_DEST = rxcache.compile(r"\.log\b|\blog(?:s| files?)?\b|\bstdout\b|\bconsole\b|\bterminal\b|\.csv\b|\bcsv\b|"
                       r"logger\b")
_LOG_ENTRY = rxcache.compile(r"\b(?:a|an|one)\s+(?:new\s+|single\s+)?(?:line|entry|record|row)\b")
# a line described by the fields it holds (`a step N loss X line`): a log line when a metric is among them
_DESCRIBED_LINE = rxcache.compile(r"\b(?:a|an|one)\s+(?:[^\s.;,]+\s+){1,8}?(?:line|entry|record|row)\b")
# ... or a setting named for the logging interval (`log_interval`, `print_freq`, `logging_steps`)
_LOG_VERB = rxcache.compile(r"\b(?:log|logging|print)_(?:every|interval|freq|frequency|steps|iters?|period)(?:_\w+)?\b|"
                       r"\blog(?:s|ged|ging)?\b|\bprint(?:s|ed|ing)?\b|\breport(?:s|ed)?\b|goes to|go to|"
                       r"written to|\bwrites?\b|\bshows?\b|display|\bemit|\brecord|\bsent to\b|\bsends?\b[^.;]{0,40}?\bto\b")
_STEP_WORD = r"(?:step|(?:mini-?)?batch|iteration|iter|update|chunk)(?:es|s)?"  # "batches" takes -es
# "per N steps", not "per epoch with batch size"
_PER_STEP = rxcache.compile(rf"\b(?:every|each|per)\s+(?:(?!epoch|episode)[\w.\-=<>()]+\s+){{0,3}}?{_STEP_WORD}\b|"
                       rf"\b\d+\s+{_STEP_WORD}\s+between\b|"  # a settings row's "20 steps between"
                       rf"\b\w*every_(?:n_)?{_STEP_WORD}\b|"  # a setting named for the period: `log_every_n_steps`
                       r"(?:step|batch|iteration)[- ]level|per[- ](?:step|batch|iteration)")
_PER_EPOCH = rxcache.compile(r"\b(?:every|each|per|end of (?:each|every|the)?)\s*(?:[\w.\-]+\s+){0,2}?(?:epoch|episode)s?\b")
_BATCH_MONITORING = rxcache.compile(r"(?:batch|step)[- ]level (?:monitoring|logging)|per[- ](?:batch|step) (?:logging|loss)")
# (a process said to be "still alive" is not a signal of its own: "while the pid is still alive")
_HEARTBEAT = rxcache.compile(r"heart ?beat|liveness|keep-?alive|alive signal|(?<!pid is )(?<!process is )still alive|"
                             r"proof of life|sign of life")
_STALL = rxcache.compile(r"watchdog|\bstall|\bhangs?\b|\bhung\b|\bstuck\b|frozen|"
                    r"\bstops? (?:moving|changing|advancing|updating|ticking)")
# a file touched on a period, or watched by its modification time, is a liveness signal
_TOUCH = rxcache.compile(r"\btouch(?:es|ed|ing)?\b|\bmtime\b|modification time|last[- ]modified")
# a file rewritten on a wall-clock period, for telling a live job from a hung or dead one
_WRITES = rxcache.compile(r"\b(?:rewrit\w*|writ(?:e|es|ten|ing)|updat(?:e|es|ed|ing)|refresh\w*|touch\w*|stamps?|"
                     r"overwrit\w*|append\w*)\b")
# a file that tells by going stale: "older than a minute", "keeps writing even when ..."
_STALE = rxcache.compile(r"\bstale\b|older than|\bfresh\b|stops? (?:changing|moving|updating)|"
                    r"keeps? (?:writing|going|ticking|beating)|even (?:when|while|if)")
_ALIVE = rxcache.compile(r"\balive\b|liveness|\bdead\b|\bdied\b|\bgone\b|\bhangs?\b|\bhung\b|\bstuck\b|"
                    r"\bstall(?:s|ed)?\b|\bfrozen\b|\bwedged\b|still running")
_FILEISH = rxcache.compile(r"\bfiles?\b|[\w.-]+/[\w./-]+|\b[\w-]+\.[a-z]{2,5}\b|\bmtime\b|modification time")
_ON_A_PERIOD = rxcache.compile(r"\bevery\b|\beach\b|\bper\b|regularly|periodic|\btimer\b|interval")
_RESUME = rxcache.compile(r"\bresum(?:e|es|ed|ing|ption)\b|\bcontinu(?:e|es|ed|ing)\b|\bcarr(?:y|ies) on\b|"
                     r"\bpick(?:s|ed)? up\b|\brestor(?:e|es|ed|ing)\b|where it left off")
_RESUME_FROM = rxcache.compile(r"checkpoint|ckpt|snapshot|saved|last save|newest|latest|\bstep\b|iteration|"
                          r"where it left off|\bstate\b|"
                          # a backup resumed from, not one merely kept
                          r"\b(?:from|restor\w*|finds?|loads?)\s+(?:the |a |its |that |this )?(?:\w+ )?backup\b|"
                          # "from the epoch it was in", "at the batch where it stopped": the point it had reached
                          r"\b(?:epoch|batch|step|point|position|place)\s+(?:it|training|the run|the job)\s+"
                          r"(?:was|had|stopped|reached|died|crashed)|"
                          r"\bwhere (?:it|training|the run|the job) (?:was|stopped|died|crashed|had got)\b")
# "carry on from one of these files": what the sentence points back to is what its paragraph saved
_FROM_ANAPHOR = rxcache.compile(r"\bfrom\s+(?:one of\s+|any of\s+)?(?:th(?:ese|ose|em)|it|that|this)\b")
# a checkpoint path handed over by hand (an option, a setting, a variable)
_HANDED_PATH = rxcache.compile(r"\b(?:put|set|write|give|enter|fill in|name|pass|point)\w*\s+(?:in\s+|into\s+)?"
                          r"(?:its|the|a|their|that|this)\s+(?:[\w'.-]+\s+){0,2}?path\b|\bby hand\b|\bmanually\b")
_LOADABLE = rxcache.compile(r"(?:can|could|may) be (?:re)?loaded|\bload(?:s|ed|ing)?\b.{0,30}(?:checkpoint|weights|state)")
_RESTART = rxcache.compile(r"restart|again|crash|preempt|dies|died|killed|interrupt|rerun|re-run")
_AUTO = rxcache.compile(r"same command|\bautomatic(?:ally)?\b|by itself|on its own|no (?:flag|option|argument|path)s? "
                   r"(?:is |are )?(?:needed|required|necessary)|nothing (?:needs|has) to be (?:edited|changed|passed)|"
                   r"without (?:any |a |passing (?:a |any )?)?(?:flag|option|argument|--resume|checkpoint path)|"
                   r"nobody (?:should|needs?|has) to|picks? up (?:the )?(?:newest|latest|last)|"
                   r"finds? (?:the )?(?:newest|latest|last)|detects? (?:and \w+ from )?(?:the )?(?:newest|latest|last)")
_EXPLICIT = rxcache.compile(r"--(?:resume|continue|from|init_from|restore|load)\w*|init_from\s*=\s*'?resume|resume_from|"
                       r"ckpt_path|ask(?:ed)? for it|has to be asked|must (?:be )?pass|deliberate|explicit(?:ly)?|"
                       r"needs? (?:the caller |you |the user )?to (?:look up|pass|give|set)|only when|from scratch|"
                       r"(?:starts?|begins?|trains?)\s+(?:again\s+|over\s+)?(?:at|from)\s+(?:step\s+)?(?:0|zero)\b|"
                       r"\b(?:switched|turned)\s+on\b|never resumes? on its own|(?:starts?|begins?|runs?)\s+(?:afresh|anew|fresh|over)\b")
_TDD = rxcache.compile(r"test[- ]first|tests? (?:come |comes )?first|writ\w* (?:the |a )?(?:failing )?tests? (?:first|before)|"
                  r"before (?:writing |you write )?(?:the |any )?(?:code|implementation)|red[-, /]+green|\btdd\b|"
                  r"test[- ]driven|watch (?:it|them) fail|failing test first")
_TESTS_WITH_CHANGES = rxcache.compile(
    # "please add a test with every change", "include unit tests for each new feature"
    r"\b(?:add|write|include|provide|ship|bring)\w*\s+(?:(?:a|an|new|unit|some|the|matching)\s+)*tests?\b.{0,40}?"
    r"\b(?:with|for|to|alongside|in)\s+(?:every|each|any|all)\b|"
    # "a change is reviewed only together with a test", "merged only along with unit tests"
    r"\b(?:merg|accept|review|land|approv)\w*\b.{0,30}?\b(?:together|along)\s+with\s+(?:(?:a|an|its|the|new|unit)\s+)*"
    r"tests?\b|"
    # "nothing gets merged without tests", "pull requests without tests will not be reviewed"
    r"\b(?:merg|accept|review|land|approv)\w*\b.{0,30}?\bwithout (?:(?:a|any|new|unit)\s+)*tests?\b|"
    r"\bwithout (?:(?:a|any|new|unit)\s+)*tests?\b.{0,40}?\b(?:merg|accept|review|land|approv|reject)\w*|"
    # "we write tests for new recipes; a PR without them is not merged"
    r"\btests?\b.{0,80}?\bwithout (?:them|it)\b.{0,20}?\b(?:not|never|won't|isn't|aren't)\b.{0,12}?"
    r"\b(?:merg|accept|review|land|approv)\w*")
_TESTS_REQUIRED = rxcache.compile(r"(?:must|should|shall|need to|needs?|require[sd]?|every (?:change|pull request|pr|"
                             r"feature|commit)|each (?:change|pr|pull request)|come with|comes with|accompan\w*)"
                             r"\W.{0,60}?\btests?\b|\btests?\b.{0,40}?(?:required|mandatory|must)")


_FRESH_START = rxcache.compile(r"from scratch|(?:starts?|begins?)\s+(?:again\s+|over\s+)?(?:at|from)\s+(?:step\s+)?"
                          r"(?:0|zero)\b|(?:starts?|begins?|runs?)\s+(?:afresh|anew|fresh|over)\b|"
                          r"\b(?:loses?|discards?|ignores?)\b")


# an option added to "the same command": "plus --resume", "with --continue appended", "adding --resume", or an
# override given with it ("with `resume_from_checkpoint=True`", "with the override trainer.resume=latest")
_ADDED_OPTION = rxcache.compile(r"\b(?:with|plus|adding|add|append(?:ing)?)\s+(?:the\s+|an?\s+)?"
                           r"(?:(?:flag|option|override|setting)\s+)?(?:--\w|`?[a-z_][\w.]*=[^\s=])|"
                           r"--[\w-]+\s+(?:added|appended|tacked on|on the end|at the end)")
# a clause whose subject is an option: "--resume by itself finds the latest checkpoint"
_OPTION_SUBJECT = rxcache.compile(r"\s*(?:(?:the|a|an)\s+)?(?:(?:flag|option)\s+)?--\w[\w-]*(?:\s+(?:flag|option))?\s")
_PHRASE_BREAK = rxcache.compile(r"[;:,]|\.\s|\bbut\b")


_RESTARTED = rxcache.compile(r"\b(?:restart(?:s|ed|ing)?|rerun\w*|re-run\w*|relaunch\w*)\b")
_MADE_BY_OPTION = rxcache.compile(r"(?:flag|option|setting|switch|--[\w-]+)\b[^.;]{0,30}?\bmakes?\b[^.;]{0,25}$")


def _claims_auto_resume(low: str, auto: re.Match) -> bool:
    """The phrase `auto` says a restart resumes with nothing given: it is not negated, not set against
    something else, and a "without <option>" phrase names the run the option is missing from, which
    is a claim only when that run is said to resume ('without --resume it starts from scratch' is not)."""
    at = auto.start()
    if _negated_before(low, at) or _CONTRAST.search(low, max(0, at - _CONTRAST_REACH), at):
        return False
    if _OPTION_SUBJECT.match(_clause_around(low, at, auto.end(), _PHRASE_BREAK)):
        return False  # "--resume on its own picks the newest": what the option does, not a restart given nothing
    if auto.group(0) == "same command" and _ADDED_OPTION.search(_clause_around(low, at, auto.end())):
        return False  # "the same command with --resume added" is another command
    if _MADE_BY_OPTION.search(low, max(0, at - 60), at):
        return False  # "the flag is what makes a restart pick up the newest": the option resumes, not nothing
    if not auto.group(0).startswith("without"):
        return True
    clause = _clause_around(low, auto.start(), auto.end())
    return bool(_RESUME.search(clause.replace(auto.group(0), " "))) and not _NEGATION.search(clause) \
        and not _FRESH_START.search(clause)


# --------------------------------------------------------------------------- one matcher per requirement
# each returns (level, offset of what decided it in the statement, why) or None


Match = tuple[str, int, str] | None


def _saves(s: Statement) -> Match:
    low = s.low
    ckpt, state, save = _CKPT.search(low), _STATE.search(low), _SAVE.search(low)
    if save and not (ckpt or state) and re.search(r"\b(?:it|them|one|this file|the file)\b", low):
        ckpt = _CKPT.search(s.paragraph)  # "The script overwrites it every 75 seconds": it, the checkpoint
    repeated = _REPEATED.search(low)
    if (ckpt or (state and save)) and repeated:
        return STATED, repeated.start(), f"saving {'checkpoints' if ckpt else 'the state'} '{repeated.group(0)}'"
    if (ckpt or state) and save and not _RESUME.search(low):
        return IMPLIED, save.start(), "checkpoints are written, but not said to be written repeatedly during training"
    return None


def periodic_checkpoints(s: Statement) -> Match:
    return _saves(s)


# a step interval told in wall-clock time: "every 200 iterations, which works out at about 8 seconds"
_EQUIVALENT = rxcache.compile(rf"\b(?:(?:comes?|came|amounts?|amounted)\s+to|works?\s+out\s+(?:at|to)|corresponds?\s+to|"
                         rf"translates?\s+(?:in)?to|(?:is|are)\s+equivalent\s+to|equals?)\s+"
                         rf"(?:(?:roughly|about|around|approximately|some|nearly|almost|just (?:under|over))\s+)?"
                         rf"{_NUM}\s*{_TIME_UNIT}")


def _converted(s: Statement) -> list[tuple[float, float, int]]:
    """The wall-clock time a sentence equates a save's step interval with, when its paragraph saves
    checkpoints at a step interval ('The state is saved every N batches. N = 10 comes to about 5 s')."""
    paragraph = s.paragraph
    if not (_STEP_PERIOD.search(paragraph) and (_CKPT.search(paragraph) or _STATE.search(paragraph))
            and _SAVE.search(paragraph)):
        return []
    out = []
    for m in _EQUIVALENT.finditer(s.low):
        if (value := _number(m.group(1))) is not None:
            out.append((value * _SECONDS.get(m.group(2), 60), value * _SECONDS.get(m.group(2), 60), m.start()))
    return out


def checkpoint_interval(s: Statement, bounds: tuple[float, float] = (60.0, 300.0)) -> Match:
    low = s.low
    about_saving = _saves(s) is not None or _BETWEEN_SAVES.search(low) or _UNIT_BETWEEN_SAVES.search(low) or re.search(
        r"\b(?:work|compute|progress|training)\b", low) and re.search(
        r"\blos(?:e|es|t|ing)\b|\bloss of\b|\bcosts?\b", low)  # work lost (what a crash costs), not a training loss
    converted = _converted(s)
    if not (about_saving or converted):
        return None
    timed = (_durations(low) if about_saving else []) + converted
    inside = [(lo, hi, at) for lo, hi, at in timed if bounds[0] <= lo and hi <= bounds[1]]
    if inside:
        lo, hi, at = inside[0]
        return STATED, at, f"a wall-clock period of {_fmt(lo, hi)}, within {_fmt(*bounds)}"
    if timed:
        lo, hi, at = timed[0]
        return OTHER, at, f"a wall-clock period of {_fmt(lo, hi)}, outside {_fmt(*bounds)}"
    steps = _STEP_PERIOD.search(low)
    if steps and _saves(s) is not None:
        return IMPLIED, steps.start(), f"an interval in {steps.group(1)} only, never in wall-clock time"
    return None


# what a dashboard is for: runs followed on it ("the team follows each run on W&B", "to see how the run is doing")
_RUNS = r"(?:runs?|jobs?|training|experiments?)"
_FOLLOWED = rxcache.compile(rf"\b(?:follow|monitor|track|watch)(?:s|ed|ing)?\s+(?:(?:a|the|each|every|our|your|its|their|all)\s+)?"
                       rf"{_RUNS}\b|\b{_RUNS}\s+(?:is|are|get|gets)\s+(?:followed|monitored|tracked|watched)\b|"
                       rf"\bkeep(?:s|ing)?\s+an\s+eye\s+on\b|"
                       rf"\bhow\s+(?:it|the run|a run|training|the job|a job|things)\s+(?:is|are)\s+(?:doing|going|progressing)\b")


def progress_file(s: Statement) -> Match:
    low = s.low
    if _NOT_PROGRESS.search(low) and not (_PROGRESS_FILE.search(low) and _FRESH.search(low)):
        return None
    found = _PROGRESS_FILE.search(low)
    if found and _FRESH.search(low):
        return STATED, found.start(), f"a progress file ('{found.group(0)}') kept current"
    named = found or _DATA_FILE.search(low)
    if named and _SHOWS_PROGRESS.search(low) and not _CKPT.search(low):
        return STATED, named.start(), f"a file ('{named.group(0)}') read to see how far training is"
    board = _DASHBOARD.search(low) or _DASHBOARD_RUN.search(s.context) or _FOLLOWED_LOG.search(low)
    metric = _METRIC.search(low) or re.search(r"\bshows?\b|\bwatch|progress", low) or _FOLLOWED.search(low)
    if board and metric:
        return IMPLIED, metric.start(), f"progress is visible another way ({board.group(0)}), not in a file"
    if found:
        return IMPLIED, found.start(), f"a progress file ('{found.group(0)}') is named, not that it is kept current"
    return None


def batch_monitoring(s: Statement) -> Match:
    low = s.low
    if (m := _BATCH_MONITORING.search(low)) is not None:
        return STATED, m.start(), f"'{m.group(0)}'"
    metric, verb = _METRIC.search(low), _LOG_VERB.search(low)
    if not (metric and verb):
        # "train.log gets a line every N updates": what the line holds is not said, that it is per step is;
        # "a `step N loss X` line every 25 steps": the line holds the loss
        metric = (_LOG_ENTRY.search(low) if _LOG_DEST.search(low) else None) or next(
            (m for m in _DESCRIBED_LINE.finditer(low) if _METRIC.search(m.group(0))), None)
        if metric is None:
            return None
    what = re.sub(r"^(?:a|an|one)\s+", "", metric.group(0))
    if (step := _PER_STEP.search(low)) is not None:
        return STATED, metric.start(), f"the {what} is logged '{step.group(0)}'"
    if (epoch := _PER_EPOCH.search(low)) is not None:
        return IMPLIED, epoch.start(), f"the {what} is logged per epoch only"
    return None


def heartbeat(s: Statement) -> Match:
    low = s.low
    if (m := _HEARTBEAT.search(low)) is not None and not _negated_before(low, m.start()):
        return STATED, m.start(), f"a liveness signal ('{m.group(0)}')"
    if (m := _TOUCH.search(low)) is not None and _FILEISH.search(low) and not _negated_before(low, m.start()) \
            and (_ON_A_PERIOD.search(low) or _STALL.search(low)):
        return STATED, m.start(), f"a file whose modification time is a liveness signal ('{m.group(0)}')"
    if (m := _WRITES.search(low)) is not None and _PERIOD.search(low) and _FILEISH.search(low) \
            and not _CKPT.search(low) and not _negated_before(low, m.start()) and _tells_liveness(s, m):
        return STATED, m.start(), "a file written on a wall-clock period that tells a live job from a hung or dead one"
    # a stall detector that runs ('a watchdog kills jobs that hang'), not one said to be absent ('we run no watchdog')
    m = next((m for m in _STALL.finditer(low) if not _negated_lead(low, m.start())), None)
    if m is not None and any(not _negated_lead(low, d.start()) for d in re.finditer(
            r"detect|notice|alert|kill|restart|told|tell|watch|\b(?:is|has) (?:hung|stuck|frozen)\b", low)):  # not "nothing will tell you"
        return IMPLIED, m.start(), f"a stall is detected another way ('{m.group(0)}')"
    if (m := _PROGRESS_FILE.search(low)) is not None and _PERIOD.search(low):
        # a file promised fresh every N seconds goes stale when the process hangs: liveness, implied
        return IMPLIED, m.start(), "a progress file refreshed on a wall-clock period shows a stall by going stale"
    return None


def _tells_liveness(s: Statement, write: re.Match) -> bool:
    """The write is for telling a live job from a hung or dead one: its clause or its heading says so,
    or its paragraph says the file tells it by going stale."""
    return bool(_ALIVE.search(_clause_around(s.low, write.start(), write.end())) or _ALIVE.search(s.heading)
                or (_ALIVE.search(s.paragraph) and _STALE.search(s.paragraph)))


def resume(s: Statement) -> Match:
    low = s.low
    if (m := _RESUME.search(low)) is not None and not _negated_before(low, m.start()) and (
            _RESUME_FROM.search(low) or (_FROM_ANAPHOR.search(low, m.end()) and _CKPT.search(s.paragraph))):
        return STATED, m.start(), f"training '{m.group(0)}' from saved state"
    if (m := _LOADABLE.search(low)) is not None:
        return IMPLIED, m.start(), "a checkpoint can be loaded; nothing says training continues from it"
    return None


def auto_resume(s: Statement) -> Match:
    low = s.low
    about = (_RESUME.search(low) or _RESTART.search(low) or _RESUME.search(s.context)) and re.search(
        r"checkpoint|resum|restor|continu|carr(?:y|ies) on|picks? up|restart|again|same command|saved|step|snapshot|"
        r"weights", low + s.context)
    if not about:
        return None
    auto = _AUTO.search(low)
    if auto and auto.group(0) == "same command" and not (_RESUME.search(low + s.context) or _RESTARTED.search(low)):
        auto = None  # "start the very same command again" where nothing speaks of a restart resuming
    if auto and _claims_auto_resume(low, auto):
        return STATED, auto.start(), f"a restart resumes with nothing given ('{auto.group(0)}')"
    handed = _HANDED_PATH.search(low)
    explicit = _EXPLICIT.search(low) or handed
    asked_to_resume = _RESUME.search(low + s.context) or (handed and _CKPT.search(low))
    if auto or (explicit and asked_to_resume):
        at = (explicit or auto).start()
        return IMPLIED, at, "a restart resumes only when asked to"
    return None


def tdd_process(s: Statement) -> Match:
    low = s.low
    if (m := _TDD.search(low)) is not None and not _left_open(low, m.start(), m.end()) \
            and not _denied(low, m.start()):
        return STATED, m.start(), f"tests are written first ('{m.group(0)}')"
    if (m := _TESTS_REQUIRED.search(low) or _TESTS_WITH_CHANGES.search(low)) is not None:
        return IMPLIED, m.start(), "tests are required, but not that they are written first"
    return None


MATCHERS = {
    "periodic-checkpoints": periodic_checkpoints,
    "progress-file": progress_file,
    "batch-monitoring": batch_monitoring,
    "heartbeat": heartbeat,
    "resume": resume,
    "auto-resume": auto_resume,
    "checkpoint-interval": checkpoint_interval,
    "tdd-process": tdd_process,
}
REQUIREMENTS = tuple(MATCHERS)


def _hit(matcher, s: Statement) -> Match:
    hit = matcher(s)
    if hit is None or _RULED_OUT.search(s.heading):
        return None  # nor does what a "## Non-goals" section lists
    if hit[0] == STATED and _denied(s.low, hit[1]):
        return None  # a requirement said not to be met documents nothing
    following = s.paragraph[s.paragraph.find(s.low) + len(s.low):] if s.low in s.paragraph else ""
    if _disowned(s.low, hit[1], following):
        return None  # nor does a mechanism said to be out of use ('heartbeat.py is a leftover nothing starts')
    if matcher is progress_file and hit[0] != STATED and _disclaimed(following):
        return None  # a file named, then, in its paragraph, "It is not a progress file."
    return hit



def _backed(matcher, found: list[Statement], i: int, level: str) -> bool:
    """The heading found[i] names a topic; its section's sentences (up to the next heading) say whether
    the project has it: one of them must reach `level` for the heading's passage to count."""
    for s in found[i + 1:]:
        if s.title or s.document != found[i].document:
            return False
        if (hit := _hit(matcher, s)) is not None and _RANK[hit[0]] >= _RANK[level]:
            return True
    return False


def find(requirement: str, found: list[Statement]) -> Finding | None:
    """The statement that best documents `requirement` (stated over implied over other; first wins).
    A heading counts only as the start of a section that documents it ('## Heartbeat' over
    'heartbeat.py is dead code', or '## Is it still alive?', documents nothing)."""
    matcher = MATCHERS.get(requirement)
    if matcher is None:
        raise KeyError(f"no built-in requirement {requirement!r} (known: {', '.join(REQUIREMENTS)})")
    best: Finding | None = None
    for i, s in enumerate(found):
        if (hit := _hit(matcher, s)) is None or (s.title and not _backed(matcher, found, i, hit[0])):
            continue
        level, at, why = hit
        if best is None or _RANK[level] > _RANK[best.level]:
            best = Finding(requirement, level, s.document, s.line_at(at), s.text, why)
            if level == STATED:
                break
    return best


__all__ = ["Finding", "IMPLIED", "MATCHERS", "OTHER", "REQUIREMENTS", "STATED", "Statement", "find", "statements"]
