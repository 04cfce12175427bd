"""Redaction: which turns' text a viewer may read, and what everyone else sees instead.

This is the one text-visibility rule. Every path that shows turn text — the interview page and its
full-text view, the review workspace, the API, search (`q=`), evidence quotes, dataset releases, the
original-upload download — asks here, so a redacted turn cannot leak through a path nobody thought of.

Who reads a redacted turn ("researchers with access"): the interview's contributor, curators, and
reviewers holding a place on the interview (a slot they claimed or were assigned, or a review they
wrote). They see the text marked "redacted for the public". Everyone else — anonymous visitors, other
signed-in users, reviewers without a place — sees the placeholder ("redacted by the contributor:
<reason>") and nothing of the turn's blocks. The placeholder's length follows the reason, never the text.

A reviewer's place is the reviews floor's business; `reviews` installs that rule at start-up (as
commons.rules does for source scores). Until then only the contributor and curators read redacted text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from commons.models import Interview, Redaction, User

Viewer = User | AnonymousUser | None
# The interviews (a queryset of their pks) on which this user holds a reviewer's place.
PlaceRule = Callable[[User], QuerySet]


def _no_places(user: User) -> QuerySet:
    return Interview.objects.none().values("pk")


_place_interviews: PlaceRule = _no_places


def install_place_rule(rule: PlaceRule) -> None:
    global _place_interviews
    _place_interviews = rule


def _signed_in(user: Viewer) -> bool:
    return bool(user is not None and user.is_authenticated)


def may_read_redacted(user: Viewer, interview: Interview) -> bool:
    """Whether this viewer reads the text of this interview's redacted turns (marked), or the placeholder."""
    if not _signed_in(user):
        return False
    assert isinstance(user, User)
    if user.is_curator or interview.contributor_id == user.pk:
        return True
    return _place_interviews(user).filter(pk=interview.pk).exists()


def withholds_source_material(user: Viewer, interview: Interview) -> bool:
    """What the source file carried besides the turns — its metadata (an Inspect log's `input` repeats the
    prompts), its recorded scores (a judge's justification quotes the transcript) — is withheld, like the
    original upload, from a viewer who may not read a redacted turn of it."""
    return interview.redactions.exists() and not may_read_redacted(user, interview)


def readable_interviews_q(user: Viewer) -> Q:
    """`may_read_redacted` as a filter on Interview, for reads done in SQL (search)."""
    if not _signed_in(user):
        return Q(pk__in=[])
    assert isinstance(user, User)
    if user.is_curator:
        return Q()
    return Q(contributor=user) | Q(pk__in=_place_interviews(user))


def redacted_turn_q() -> Exists:
    """On a Turn queryset: the turn is covered by a redaction (as `TurnMask.redaction_of`, in SQL)."""
    index = OuterRef("index")
    return Exists(Redaction.objects.filter(interview=OuterRef("interview"))
                  .filter(Q(turn_index=index) | Q(and_earlier=True, turn_index__gt=index)))


def placeholder(redaction: Redaction) -> str:
    return f"redacted by {redaction.get_by_display()}: {redaction.reason}"


@dataclass
class TurnMask:
    """One viewer's view of one interview's redactions: what to show in place of each turn's content."""

    redactions: list[Redaction] = field(default_factory=list)
    readable: bool = False

    def redaction_of(self, index: int) -> Redaction | None:
        """The redaction covering this turn: the one naming it exactly, else the nearest later one."""
        covering = [r for r in self.redactions if r.covers(index)]
        return min(covering, key=lambda r: (r.turn_index, r.pk or 0)) if covering else None

    def hides(self, index: int | None) -> bool:
        return not self.readable and index is not None and self.redaction_of(index) is not None

    @property
    def any_hidden(self) -> bool:
        return bool(self.redactions) and not self.readable

    def blocks(self, index: int, blocks: list) -> list:
        redaction = self.redaction_of(index)
        if redaction is None or self.readable:
            return blocks
        return [{"type": "redacted", "text": placeholder(redaction)}]

    def text(self, index: int, text: str) -> str:
        redaction = self.redaction_of(index)
        return placeholder(redaction) if redaction is not None and not self.readable else text

    def mark(self, index: int) -> dict[str, Any] | None:
        """What a page or the API says about the turn's redaction: who, why, and whether its text is shown."""
        redaction = self.redaction_of(index)
        if redaction is None:
            return None
        return {"id": redaction.pk, "by": redaction.by, "reason": redaction.reason,
                "placeholder": placeholder(redaction), "text_shown": self.readable}

    def turn(self, turn: dict[str, Any]) -> dict[str, Any]:
        """A turn as a page shows it (a dict with index and blocks): content replaced, or kept and marked."""
        return {**turn, "blocks": self.blocks(turn["index"], turn["blocks"]), "redaction": self.mark(turn["index"])}

    def quote_hidden(self, turn_index: int | None) -> bool:
        """An evidence quote is hidden with its turn. A quote anchored to no turn could come from any of them,
        so it is hidden whenever anything in the interview is hidden from this viewer."""
        if turn_index is None:
            return self.any_hidden
        return self.hides(turn_index)


def mask_for(user: Viewer, interview: Interview) -> TurnMask:
    redactions = list(Redaction.objects.filter(interview=interview))
    return TurnMask(redactions, readable=bool(redactions) and may_read_redacted(user, interview))


def public_masks(interview_ids: Iterable[int]) -> dict[int, TurnMask]:
    """The public's view (a release, an export) of many interviews at once: only those with redactions."""
    masks: dict[int, TurnMask] = {}
    for redaction in Redaction.objects.filter(interview_id__in=list(interview_ids)):
        masks.setdefault(redaction.interview_id, TurnMask()).redactions.append(redaction)
    return masks
