"""What kind of answer a question asks for: a fact, yes or no, a reason, a manner, an opinion,
or the article's gist.

Rules over the lower-cased question, no model: questions come sloppy ("why would china be
annoyed", "so is it over", "wait, how did that happen"), and each rule is a phrase a reader
uses. Order matters: the more specific kinds are tried first, and factoid is what is left,
so a question no rule claims keeps the reader's span answer exactly as before.
"""

from __future__ import annotations

import re
from typing import Literal

Kind = Literal["factoid", "yes/no", "why", "how", "opinion", "gist"]
KINDS: tuple[Kind, ...] = ("factoid", "yes/no", "why", "how", "opinion", "gist")

# Words a reader puts before the question proper: "wait, why …", "so is …", "ok what's …".
_LEAD = re.compile(
    r"^(?:(?:wait|ok(?:ay)?|so|and|but|hmm+|um+|well|then|also|now|hey|sorry|"
    r"quick question|one more thing|briefly|in short)\b[\s,:;.!-]*)+"
)
# "can you tell me why …", "do you know how …", "explain why …": the question inside.
_EMBED = re.compile(
    r"^(?:(?:can|could|would) you (?:please )?(?:tell me|explain|say)|do you know|"
    r"does anyone know|(?:please )?(?:tell me|explain|say)|i (?:want|need) to know|"
    r"i wonder|i'm wondering)\b[\s,:]*"
)

_GIST = re.compile(
    r"^(?:what(?:'s| is| was)? (?:this|it|the (?:article|story|piece|text|news|report))"
    r"(?: \w+)? (?:mainly |mostly |really |all )?about|"
    r"what(?:'s| is) (?:this|the) (?:story|news)(?: about)?$|"
    r"what(?:'s| is) (?:going on|happening)(?: here)?$|so what happened$|what happened$|"
    r"what(?:'s| is) the (?:article|story|piece|text) saying|"
    r"(?:what does|what do) (?:the|this) (?:article|story|piece|text) say(?: overall)?$|"
    r"in a nutshell|what should i know about (?:this|the) (?:article|story)|"
    r"what(?:'s| is| are) (?:the |its |the article's |the story's )?(?:main|central|key|big) "
    r"(?:point|argument|claim|message|idea|takeaways?|picture|news)|"
    r"what(?:'s| is) the (?:gist|takeaway|bottom line|short version|topic|subject|headline news))"
    # Asked for anywhere: "give me the gist", "could you give me an overview".
    r"|\b(?:main point|gist|tl;? ?dr|summar(?:y|i[sz]e)|sum (?:it|this) up|overview|"
    r"(?:the|some) highlights)\b"
)
# Manner/process "how", not degree or quantity ("how many/much/old/long/strong …"), and not
# "how did X describe Y" (the answer is the words used, a span).
_HOW_DEGREE = re.compile(
    r"^how (?:many|much|old|long|far|often|big|small|tall|high|low|large|soon|late|early|"
    r"fast|quickly|serious|strong|bad|good|expensive|cheap|deep|wide|heavy|close|likely|"
    r"important|well known|hot|cold|\w+ly)\b"
)
_HOW_WORDS = re.compile(
    r"\bhow (?:[\w'-]+ ){0,4}?(?:describe|characteri[sz]e|call|refer|label|term)"
)
_HOW_OPINION = re.compile(
    r"^how (?:do|does|did|would|will) (?:[\w'-]+ ){1,5}?(?:see|view|feel|regard|rate|judge|assess|"
    r"perceive|receive|think)\b"
)
_OPINION_VERBS = (
    r"(?:think|thinks|thought|say|says|said|believe|believes|believed|argue|argues|argued|"
    r"claim|claims|claimed|suggest|suggests|suggested|reckon|reckons|feel|feels|felt|"
    r"make of|conclude|concludes|concluded|see|sees|view|views|accuse|accuses|accused)"
)
# Not "want", "hope", "expect", "fear", "predict", nor "what <noun> does X think": on CoQA's
# stories ("What did Tim want?", "What letter did he think it started with?") and in SQuAD
# ("What did the model predict the sea level would be?") they ask for a thing.
# A word of a name: "dr. ryan", "sen. warren" (a full stop only after a title, so a question
# that runs into a second sentence is not read as one name).
_NAME_WORD = r"(?:[\w'-]+|(?:dr|mr|mrs|ms|prof|gen|sen|rep|gov|st|lt|col|capt|sgt|jr|sr)\.)"
_ATTITUDE = r"(?:argument|complaint|criticism|concern)s?"
_OPINION = re.compile(
    rf"^what (?:do|does|did|would|will) (?:{_NAME_WORD} ){{1,6}}?{_OPINION_VERBS}\b|"
    r"^what(?:'s| is| was| are)? (?:[\w'-]+ ){0,4}?(?:view|views|opinion|take|reaction|verdict|"
    r"feeling|consensus|thoughts)\b|"
    # "What was the defense's argument?", "what's the union's main complaint": a noun asked
    # for by "is", with only a determiner, a possessive or an adjective before it ("What
    # company filed a complaint?", "What does the case concern?" ask for a thing).
    rf"^what(?:'s| is| was| are| were) (?:the |a |an |its |their |his |her |one |main |chief |"
    rf"central |key |biggest |[\w.-]+'s? ){{0,3}}{_ATTITUDE}\b|"
    # Worried or concerned about: a stance in the news ("afraid", "upset" ask for a thing
    # in CoQA's stories: "What was the dog afraid of?").
    rf"^what (?:is|are|was|were) (?:{_NAME_WORD} ){{1,3}}?(?:worried|concerned) (?:about|by)\b|"
    # A stance or position *on* something; "Pantucci's position" alone may be his job.
    r"^what(?:'s| is| was| are)? (?:[\w'-]+ ){0,4}?(?:stance|position) (?:on|towards?|about)\b|"
    r"^where (?:do|does|did) (?:[\w'-]+ ){1,5}?stand\b|"
    r"^what (?:are|were) (?:[\w'-]+ ){1,3}?saying\b|"
    r"^according to [^,]+, what does (?:[\w'-]+ ){1,5}?(?:show|mean|suggest)"
)
_KIND_OF = re.compile(r"^(?:what|which) (?:kind|sort|type)s? of\b")
_WHY = re.compile(
    r"^(?:why|how come|for what reason)\b|"
    r"^what(?:'s| is| was| were)? (?:the )?(?:main )?(?:reason|cause|motivation|purpose|point|"
    r"explanation)s?\b|"
    r"^what (?:[\w'-]+ )?(?:prompted|caused|led to|triggered|drove|made|is behind|was behind|"
    r"is driving|explains|motivated)\b"
)
_HOW = re.compile(r"^how\b|^in what ways?\b|^by what means\b|^what steps\b|^what is the process\b")
_AUX = (
    r"(?:is|are|was|were|am|do|does|did|has|have|had|can|could|will|would|shall|should|"
    r"may|might|must|isn't|aren't|wasn't|weren't|doesn't|don't|didn't|hasn't|haven't|"
    r"won't|wouldn't|can't|couldn't|shouldn't)"
)
_YES_NO = re.compile(
    rf"^{_AUX}\b|^true or false\b|^(?:is it true|is it the case|am i right) that\b|"
    r"(?:, (?:right|isn't it|aren't they|doesn't it|don't they|no|correct|true)\??$)"
)
# "Is it X or Y?", "Was it aimed at A or B?": a choice, answered by the span that names it.
_CHOICE = re.compile(r"\b\w+ or (?:[\w'-]+ ){0,4}?\w+\??$")


def normalise(question: str) -> str:
    """Lower case, curly quotes straightened, spaces collapsed, fillers and embedding cut."""
    text = question.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = " ".join(text.split()).strip(" ?.!")
    for _ in range(3):  # "so, can you tell me why …": a filler, then an embedding
        stripped = _EMBED.sub("", _LEAD.sub("", text)).strip(" ,")
        if stripped == text:
            break
        text = stripped
    return text


def question_kind(question: str) -> Kind:
    """The kind of answer ``question`` asks for; ``factoid`` unless a rule says otherwise."""
    text = normalise(question)
    if not text:
        return "factoid"
    if _GIST.search(text) and not text.startswith(("who ", "when ", "where ")):
        return "gist"
    if _WHY.search(text):
        return "why"
    if text.startswith("how") and (_HOW_DEGREE.search(text) or _HOW_WORDS.search(text)):
        return "factoid"
    if _KIND_OF.match(text):  # "what kind of stance did China stress": a thing, named
        return "factoid"
    if _OPINION.search(text) or _HOW_OPINION.search(text):
        return "opinion"
    if _HOW.search(text):
        return "how"
    if _YES_NO.search(text) or _statement_check(question):
        return "factoid" if _is_choice(text) else "yes/no"
    return "factoid"


def _is_choice(text: str) -> bool:
    """An alternative question: "… A or B?", but not "… or not?"."""
    return bool(_CHOICE.search(text)) and not text.endswith(("or not", "or no"))


def _statement_check(question: str) -> bool:
    """ "So they're still friends?": a statement asked back, with no question word in it."""
    text = normalise(question)
    asks = question.strip().endswith("?")
    lead = question.lower().lstrip().startswith(("so ", "so,"))
    wh = re.match(r"^(?:what|who|whom|whose|which|when|where|why|how)\b", text)
    return asks and lead and not wh
