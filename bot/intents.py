"""Free text after the plan, read as what the owner wants.

"j'ai publié sur insta" is /posted instagram, "3 commentaires en attente" is /pending 3,
"je voudrais changer mes réseaux" opens the plan's networks. Words are matched on their folded
stems, in French and English; a clear match acts, a partial one asks "did you mean …?", and
anything destructive is always asked.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

NETWORKS = {
    "instagram": ("instagram", "insta", "ig"),
    "facebook": ("facebook", "fb", "face"),
    "linkedin": ("linkedin",),
    "tiktok": ("tiktok",),
    "youtube": ("youtube", "yt"),
    "pinterest": ("pinterest",),
    "x": ("twitter", "x", "tweet"),
    "google_business": ("google", "gmb", "maps"),
}
PROMO = ("promo", "offre", "solde", "reduction", "offer", "sale", "discount", "pub")
# Plan parts by the words owners use for them.
PLAN_PARTS = {
    "networks": ("reseau", "network", "plateforme", "platform"),
    "cadence": ("rythme", "frequence", "cadence", "often", "souvent", "pace", "rhythm", "frequency"),
    "hours": ("heure", "hour", "temps", "time"),
    "reply_time": ("delai", "reponse", "reply", "respond"),
    "objectives": ("objectif", "goal", "objective", "but"),
    "budget": ("budget", "argent", "money", "publicite", "ads"),
    "responsible": ("responsable", "charge", "responsible", "owner"),
}
CHANGE = ("chang", "modifi", "edit", "updat", "revoir", "ajust", "adjust")
POSTED = ("publie", "poste", "posted", "published", "publication", "post")
WAITING = ("attente", "attendent", "attend", "waiting", "pending", "sans reponse", "unanswered")
COMMENTS = ("commentaire", "message", "comment", "question", "avis", "review")
REPLIED = ("repondu", "replied", "answered", "repondre a tous")
SIMPLE: dict[str, tuple[str, ...]] = {
    "progress": ("progres", "bilan", "ou j en suis", "progress", "how am i doing", "ma semaine", "my week"),
    "plan": ("mon plan", "my plan", "le plan", "the plan"),
    "help": ("aide", "help", "commande", "command"),
    "learn": ("apprendre", "conseil", "lecon", "learn", "tips", "sujet", "topic"),
    "settings": ("rappel", "notification", "reminder", "vacances", "holiday", "pause"),
}
DESTRUCTIVE: dict[str, tuple[str, ...]] = {
    "delete": ("supprim", "efface", "delete", "erase", "oubli"),
    "restart": ("recommenc", "repartir de zero", "restart", "start over", "start again"),
}
COURTESY: dict[str, tuple[str, ...]] = {
    "thanks": ("merci", "thanks", "thank you", "thx", "super", "parfait", "great", "perfect", "genial"),
    "hello": ("bonjour", "bonsoir", "salut", "coucou", "hello", "hi", "hey", "good morning"),
}
"""Words that are only politeness, answered as such (a text with more in it is read for its intent)."""
THANKS_EMOJI = frozenset("👍🙏❤♥😊🙂☺👌💪🥰😀😁😃✅🎉👏🤝💯🌟⭐")
"""Emoji that say thanks or OK on their own (another alone, "😡" or "?", is not thanks)."""
AGREE = frozenset(
    ("ok", "okay", "oui", "ouais", "yes", "yep", "yeah", "sure", "fine", "d accord", "daccord", "top",
     "cool", "nickel", "entendu", "ca marche", "ca me va", "tres bien", "c est bon", "sounds good")
)
"""What an owner types to accept what the coach proposed, whole."""
COURTESY_FILLERS = {"ok", "d", "accord", "beaucoup", "bien", "a", "vous", "toi", "pour", "le", "la", "les"}
COURTESY_FILLERS |= {"ce", "tout", "plan", "conseil", "conseils", "aide", "so", "much", "very", "for", "the"}
COURTESY_FILLERS |= {"all", "help", "tips", "coach"}
_WORD = re.compile(r"[a-z0-9]+")
_NUMBER = re.compile(r"\b(\d{1,4})\b")


@dataclass(frozen=True)
class Intent:
    """A command the text most likely means, its arguments, and whether to act without asking."""

    command: str
    args: str = ""
    sure: bool = True


def agrees(text: str) -> bool:
    """Whether the text only accepts what was proposed: "ok", "oui", "d'accord", "merci", 👍."""
    return fold(text) in AGREE or courtesy(text) == "thanks"


def fold(text: str) -> str:
    """Lowercase, without accents or punctuation, one space between words."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return " ".join(_WORD.findall(bare))


def _has(text: str, stems: tuple[str, ...]) -> bool:
    words = text.split()
    for stem in stems:
        if " " in stem:
            if stem in text:
                return True
        elif any(w.startswith(stem) if len(stem) > 3 else w == stem for w in words):
            return True
    return False


def network_in(text: str) -> str | None:
    """The network a folded text names, if exactly one."""
    words = set(text.split())
    found = [n for n, names in NETWORKS.items() if words & set(names)]
    return found[0] if len(found) == 1 else None


def match(text: str) -> Intent | None:
    """What a free text most likely asks for, or None when it names nothing known."""
    folded = fold(text)
    if not folded:
        return None
    number = _NUMBER.search(folded)
    for command, stems in DESTRUCTIVE.items():
        if _has(folded, stems):
            return Intent(command, sure=False)
    if _has(folded, CHANGE) or _has(folded, ("plan",)):
        for part, stems in PLAN_PARTS.items():
            if _has(folded, stems):
                return Intent("plan", part, sure=_has(folded, CHANGE))
        if _has(folded, CHANGE):
            return Intent("plan", sure=False)
    if _has(folded, COMMENTS) and _has(folded, WAITING):
        return Intent("pending", number.group(1) if number else "", sure=number is not None)
    if _has(folded, REPLIED):
        return Intent("replied", number.group(1) if number else "")
    network = network_in(folded)
    if _has(folded, POSTED):
        args = " ".join(x for x in (network, "promo" if _has(folded, PROMO) else "") if x)
        return Intent("posted", args)
    for command, stems in SIMPLE.items():
        if _has(folded, stems):
            return Intent(command)
    if network:
        return Intent("posted", network, sure=False)
    return None


def courtesy(text: str) -> str | None:
    """`thanks` or `hello` when the text is only that ("merci !", "Bonjour", 👍), else None."""
    folded = fold(text)
    if not folded:  # no word: thanks only if its signs are a thank-you's (👍, 🙏), not "?" or "😡"
        signs = [c for c in text if not c.isspace() and unicodedata.category(c) not in ("Mn", "Sk", "Cf")]
        return "thanks" if signs and all(c in THANKS_EMOJI for c in signs) else None
    for kind, words in COURTESY.items():
        rest = folded
        for word in sorted(words, key=len, reverse=True):
            rest = re.sub(rf"\b{word}\b", " ", rest)
        left = [w for w in rest.split() if w not in COURTESY_FILLERS]
        if rest != folded and not left:
            return kind
    return None
