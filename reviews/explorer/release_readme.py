"""The README.txt every dataset release carries: what is in it, how values are read, what withdrawals and
redactions do to it, and how to cite it (filled in by releases.build_release)."""

from __future__ import annotations

RELEASE_README = """Research Commons public corpus, release {version}

Built {built} from the interviews an anonymous visitor can list (public; submitted, in review or
reviewed). Withdrawn, draft, private, unlisted and researcher-only interviews are not included;
turns of interviews licensed "all rights reserved" are left out (their metadata is included).
Each interview's licence is in interviews.licence; cite the release as below.

Tables (each as .csv, .jsonl and .parquet; JSON-valued columns are JSON text in CSV and Parquet):
{tables}

CSV cells that would start with = + - @, a tab or a carriage return are prefixed with an
apostrophe so spreadsheets do not run them as formulas; JSONL and Parquet hold the exact text.
Scores: value NULL and label empty = missing ("cannot judge" / topic not reached), never zero.
Blind and final values: a reviewer who has submitted sees the other reviews and may revise. scores.value
and scores.label are each reviewer's blind value (their last revision submitted before another review
of the interview was visible to them; reviews.blind_revision), the value headline alpha and every
explorer number count. scores.final_value / final_label are the newest revision's (reviews.revision);
revised_after_unblinding marks where they differ in origin. Agreement: q_below_667 / q_below_800 =
bootstrap probability that alpha is below 0.667 / 0.800; small_sample = fewer than 30 pairable units.
Reviews counted: every review of an interview once it is reviewed (review is blind until then);
before that only model judges' reviews, and only in studies whose judge scores are published data.

Withdrawals: if an interview in this release is withdrawn later, the release is marked as containing
a withdrawn interview and its files are no longer served (HTTP 410); it is not rebuilt, so this
version's checksums and citation keep meaning what was published. A newer release leaves it out.

Redactions: a turn its contributor or a curator redacted is released as the public sees it — its text
and blocks are the placeholder "redacted by the contributor: <reason>" (or "by a curator"). A turn
redacted after this release was built marks the release the same way as a withdrawal (files 410).

Checksums: SHA256SUMS (sha256sum -c SHA256SUMS). Suggested citation:
{citation}
"""
