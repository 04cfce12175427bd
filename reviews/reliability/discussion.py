"""The post-discussion figure: alpha over each review's newest revision, beside the headline's blind values.

A reviewer who has submitted sees the other reviews and may revise (`reviews.services.unblinding`).
Headline alpha reads each review's blind value; revisions made after unblinding are no longer
independent ratings, so they count only here, in a separately labelled figure that never replaces
the headline. Pure Python, like `slicing`: `services` builds both sets of slices and stores this
beside the headline result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reviews.agreement import AlphaResult, Ratings, compute_alpha
from reviews.reliability.slicing import Params, Scale, SliceInput, fingerprint


@dataclass(frozen=True)
class PostDiscussion:
    """A slice's newest-revision triples and how many of its (interview, rater) values differ from the blind ones."""

    piece: SliceInput | None  # None: the slice holds no value at all once revisions are counted
    revised_values: int


def _values(piece: SliceInput | None) -> dict[tuple[int, str], Any]:
    if piece is None:
        return {}
    return {(unit, rater): value for unit, rater, value in zip(piece.units, piece.raters, piece.values, strict=True)}


def post_discussion_pieces(blind: Sequence[SliceInput], newest: Sequence[SliceInput]) -> dict[tuple[str, str, str],
                                                                                               PostDiscussion]:
    """Per headline slice, its newest-revision counterpart (slices only the newest revisions hold are left out:
    a figure without a headline beside it would stand alone)."""
    by_key = {piece.key: piece for piece in newest}
    out = {}
    for piece in blind:
        counterpart = by_key.get(piece.key)
        before, after = _values(piece), _values(counterpart)
        revised = sum(1 for key in before.keys() | after.keys() if before.get(key) != after.get(key))
        out[piece.key] = PostDiscussion(counterpart, revised)
    return out


def unrevised(blind: Sequence[SliceInput]) -> dict[tuple[str, str, str], PostDiscussion]:
    """`post_discussion_pieces` where no review was revised after unblinding: every slice is its own counterpart
    (without comparing every value to itself)."""
    return {piece.key: PostDiscussion(piece, 0) for piece in blind}


def combined_fingerprint(headline: str, post: PostDiscussion | None, scale: Scale, params: Params) -> str:
    """The headline slice's fingerprint, and the newest revisions' only where they differ from the blind values
    (a slice nobody revised after unblinding keeps its stored fingerprint)."""
    if post is None or not post.revised_values:
        return headline
    newest = fingerprint(post.piece, scale, params) if post.piece is not None else "empty"
    return hashlib.sha256(f"{headline}\x00post-discussion\x00{newest}".encode()).hexdigest()


def post_discussion_alpha(post: PostDiscussion, headline: AlphaResult, scale: Scale) -> AlphaResult:
    """Alpha of the newest revisions: the headline itself where nothing was revised after unblinding."""
    if not post.revised_values:
        return headline
    piece = post.piece or SliceInput("", "", "", "")
    ratings = Ratings.from_triples(piece.units, piece.raters, piece.values,
                                   level=scale.level, value_domain=scale.domain)  # type: ignore[arg-type]
    return compute_alpha(ratings)
