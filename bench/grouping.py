"""How well the suggested groups match what people would group, in six languages, and how fast.

Reads the labelled meetings in bench/data/grouping/ (cards with the same label say the same
thing; see its README), embeds every card with the sentence encoder, centres the vectors by
language within each meeting (`LanguageMeans.of` over that meeting's cards) and groups each
meeting's cards with `suggest` at the fixed `app.similarity.THRESHOLD`, pairs across languages
getting `CROSS_LANGUAGE_BONUS`: the product's configuration. Printed per meeting and over all:

- pairwise precision, recall and F1: pairs of cards in one suggested group against pairs of
  cards with one label;
- ari, the adjusted Rand index of the two partitions (Hubert and Arabie), from their
  contingency table;
- cross_language_recall: of the same-label pairs written in two different languages, the share
  that lands in one suggested group; and the same share for each language's pairs.

"all" pools the meetings: each meeting is grouped on its own, so no pair crosses meetings, and
its figures are those of the union of the meetings' partitions. Baselines from the same run:
the sentence encoder centred without the bonus, and not centred; the word encoder, plain and
centred.

Speed: embed_s_per_1000 is the encoder's time for all the cards in batches of
`app.embedding.BATCH`, as the embedding thread sends them, model already loaded, per 1,000
cards (median of 3 runs). group_s_per_1000 is the time of `suggest` on 1,000 stored vectors:
the product's vectors of the 200 cards, each repeated five times with Gaussian noise (sd 0.03 a
dimension, seed 0; about 0.8 cosine to its original) and made unit again, as if five delegations
had written each card in their own words (median of 3 runs).

`--sweep` prints the figures at thresholds 0.30 to 0.75, and at bonuses 0.00 to 0.12 with
thresholds 0.35 to 0.45, on the development meeting only (DEV), to choose THRESHOLD and the
bonus there; the other meetings score the choice afterwards. `--threshold T`
scores another threshold than THRESHOLD, to check a choice before it goes into app/similarity.py.
Last line (product configuration):
f1=... ari=... cross_language_recall=... embed_s_per_1000=... group_s_per_1000=...
"""

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))

from app import similarity  # noqa: E402
from app.embedding import BATCH  # noqa: E402
from app.similarity import (  # noqa: E402
    THRESHOLD,
    Encoder,
    LanguageMeans,
    SentenceEncoder,
    Vectors,
    WordEncoder,
    centred,
    suggest,
)

DATA = ROOT / "bench" / "data" / "grouping"
DEV = "compact-stocktaking"  # the only meeting --sweep looks at
SWEEP = [round(0.30 + 0.05 * step, 2) for step in range(10)]  # 0.30 .. 0.75
BONUSES = [round(0.02 * step, 2) for step in range(7)]  # 0.00 .. 0.12
RUNS = 3
STORED = 1000
NOISE = 0.03


@dataclass
class Meeting:
    """One labelled meeting: its cards' texts, languages and labels, in file order."""

    slug: str
    texts: list[str]
    languages: list[str]
    labels: list[str]


@dataclass
class Score:
    """Agreement of a suggested partition with the labels."""

    cards: int
    groups: int
    precision: float
    recall: float
    f1: float
    ari: float
    cross_language_recall: float


def load_meetings() -> list[Meeting]:
    """Read every labelled meeting in DATA."""
    meetings = []
    for path in sorted(DATA.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        cards = data["cards"]
        meetings.append(
            Meeting(
                data["meeting"],
                [c["text"] for c in cards],
                [c["language"] for c in cards],
                [c["label"] for c in cards],
            )
        )
    return meetings


def embed(encoder: Encoder, texts: Sequence[str]) -> Vectors:
    """Encode the texts in the embedding thread's batches."""
    batches = [encoder.encode(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
    return np.concatenate(batches)


def median_seconds(work: Callable[[], object]) -> float:
    """Run the work RUNS times; return the median wall time."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def prepared(vectors: Vectors, meeting: Meeting, centre: bool) -> Vectors:
    """Return the vectors as the product compares them: centred by language, or as they are."""
    if not centre:
        return vectors
    return centred(vectors, meeting.languages, LanguageMeans.of(vectors, meeting.languages))


def assignment(groups: list[list[int]], n: int) -> NDArray[np.int64]:
    """Turn suggest's lists of indexes into a group number per card."""
    numbers = np.full(n, -1, dtype=np.int64)
    for number, members in enumerate(groups):
        numbers[members] = number
    return numbers


def pairs(count: NDArray[np.int64]) -> float:
    """Return how many pairs a set of each size makes, summed."""
    return float((count * (count - 1) // 2).sum())


def score(labels: Sequence[str], predicted: NDArray[np.int64], languages: Sequence[str]) -> Score:
    """Compare a suggested partition with the labels, pair by pair."""
    n = len(labels)
    _, truth = np.unique(np.asarray(labels), return_inverse=True)
    table = np.zeros((truth.max() + 1, predicted.max() + 1), dtype=np.int64)
    np.add.at(table, (truth, predicted), 1)
    both, same_label, same_group = pairs(table), pairs(table.sum(1)), pairs(table.sum(0))
    precision = both / same_group if same_group else 1.0
    recall = both / same_label if same_label else 1.0
    f1 = 2 * precision * recall / (precision + recall) if both else 0.0
    expected = same_label * same_group / (n * (n - 1) / 2)
    top = (same_label + same_group) / 2 - expected
    ari = (both - expected) / top if top else 1.0
    return Score(
        n,
        int(predicted.max() + 1),
        precision,
        recall,
        f1,
        ari,
        cross_recall(truth, predicted, np.asarray(languages)),
    )


def cross_recall(
    truth: NDArray[np.int64],
    predicted: NDArray[np.int64],
    languages: NDArray[np.str_],
    language: str | None = None,
) -> float:
    """Share of same-label pairs in two languages (one of them `language`) grouped together."""
    upper = np.triu(np.ones((len(truth), len(truth)), dtype=bool), k=1)
    wanted = upper & (truth[:, None] == truth) & (languages[:, None] != languages)
    if language is not None:
        wanted &= (languages[:, None] == language) | (languages == language)
    found = wanted & (predicted[:, None] == predicted)
    return float(found.sum() / wanted.sum()) if wanted.any() else float("nan")


@dataclass
class Run:
    """One configuration's partition of every meeting, pooled as one."""

    labels: list[str]
    languages: list[str]
    predicted: NDArray[np.int64]
    per_meeting: dict[str, Score]

    @property
    def pooled(self) -> Score:
        return score(self.labels, self.predicted, self.languages)


def run(
    meetings: list[Meeting],
    vectors: dict[str, Vectors],
    centre: bool,
    threshold: float,
    bonus: bool | None = None,
) -> Run:
    """Group each meeting on its own; keep every meeting's score and the pooled partition.

    `bonus`: whether pairs across languages get CROSS_LANGUAGE_BONUS (as the product does
    wherever it centres); by default, with centring."""
    bonus = centre if bonus is None else bonus
    labels: list[str] = []
    languages: list[str] = []
    predicted: list[NDArray[np.int64]] = []
    per_meeting = {}
    offset = 0
    for meeting in meetings:
        by_language = meeting.languages if bonus else []
        groups = suggest(
            prepared(vectors[meeting.slug], meeting, centre), threshold, (), by_language
        )
        numbers = assignment(groups, len(meeting.texts))
        per_meeting[meeting.slug] = score(meeting.labels, numbers, meeting.languages)
        labels += [f"{meeting.slug}/{label}" for label in meeting.labels]
        languages += meeting.languages
        predicted.append(numbers + offset)
        offset += len(groups)
    return Run(labels, languages, np.concatenate(predicted), per_meeting)


def print_table(title: str, rows: list[tuple[str, Score]]) -> None:
    """Print one row of figures per meeting (or threshold)."""
    print(f"\n{title}")
    heads = ("cards", "groups", "prec", "rec", "f1", "ari", "xlang")
    print(f"{'':24} " + " ".join(f"{head:>6}" for head in heads))
    for name, s in rows:
        print(
            f"{name:24} {s.cards:6d} {s.groups:6d} {s.precision:6.3f} {s.recall:6.3f}"
            f" {s.f1:6.3f} {s.ari:6.3f} {s.cross_language_recall:6.3f}"
        )


def print_run(title: str, result: Run) -> None:
    """Print a configuration's figures per meeting and pooled."""
    print_table(title, [*result.per_meeting.items(), ("all", result.pooled)])


def print_languages(result: Run) -> None:
    """Print the cross-language recall of each language's pairs with the other languages."""
    truth = np.unique(np.asarray(result.labels), return_inverse=True)[1]
    languages = np.asarray(result.languages)
    shares = [
        f"{language} {cross_recall(truth, result.predicted, languages, language):.3f}"
        for language in sorted(set(result.languages))
    ]
    print("cross-language recall by language (its pairs with the others): " + ", ".join(shares))


def stored_vectors(vectors: Vectors, size: int = STORED) -> Vectors:
    """Make `size` unit vectors from the cards': repeated, perturbed, made unit again."""
    rng = np.random.default_rng(0)
    copies = np.resize(vectors, (size, vectors.shape[1]))
    noisy = copies + rng.normal(0, NOISE, copies.shape).astype(np.float32)
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def sweep(meetings: list[Meeting], vectors: dict[str, Vectors]) -> None:
    """Print the figures at each threshold of SWEEP on the development meeting only."""
    dev = [m for m in meetings if m.slug == DEV]
    for centre, name in ((True, "centred"), (False, "not centred")):
        rows = [
            (f"threshold {t:.2f}", run(dev, vectors, centre, t).per_meeting[DEV]) for t in SWEEP
        ]
        print_table(f"sweep on {DEV} (development set), sentence encoder, {name}", rows)
    chosen = similarity.CROSS_LANGUAGE_BONUS
    rows = []
    for bonus in BONUSES:
        similarity.CROSS_LANGUAGE_BONUS = bonus  # read by language_bonus at each call
        for t in SWEEP[1:4]:
            rows.append(
                (f"bonus {bonus:.2f} thr {t:.2f}", run(dev, vectors, True, t).per_meeting[DEV])
            )
    similarity.CROSS_LANGUAGE_BONUS = chosen
    print_table(f"sweep on {DEV}: cross-language bonus and threshold, centred", rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sweep", action="store_true", help=f"thresholds on {DEV} only")
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    args = parser.parse_args()
    meetings = load_meetings()
    texts = [text for m in meetings for text in m.texts]
    languages = sorted({language for m in meetings for language in m.languages})
    print(f"{len(texts)} cards in {len(meetings)} meetings, languages {' '.join(languages)}")

    sentence = SentenceEncoder()
    start = time.perf_counter()
    sentence.encode(["warm-up"])
    print(f"sentence encoder loaded in {time.perf_counter() - start:.2f} s")
    embed_s = median_seconds(lambda: embed(sentence, texts))
    by_meeting = {m.slug: embed(sentence, m.texts) for m in meetings}
    if args.sweep:
        sweep(meetings, by_meeting)
        return

    words = {m.slug: WordEncoder().encode(m.texts) for m in meetings}
    t = args.threshold
    product = run(meetings, by_meeting, True, t)
    which = "product" if t == THRESHOLD else "proposed, not app.similarity.THRESHOLD"
    print_run(f"sentence encoder, centred by language, threshold {t} ({which})", product)
    print_languages(product)
    print_run(
        f"baseline: sentence encoder, centred, no cross-language bonus, threshold {t}",
        run(meetings, by_meeting, True, t, bonus=False),
    )
    print_run(
        f"baseline: sentence encoder, not centred, threshold {t}",
        run(meetings, by_meeting, False, t),
    )
    print_run(f"baseline: word encoder, not centred, threshold {t}", run(meetings, words, False, t))
    print_run(f"baseline: word encoder, centred, threshold {t}", run(meetings, words, True, t))

    stored = stored_vectors(
        np.concatenate([prepared(by_meeting[m.slug], m, True) for m in meetings])
    )
    stored_languages = list(np.resize([lang for m in meetings for lang in m.languages], STORED))
    group_s = median_seconds(lambda: suggest(stored, t, (), stored_languages))
    print(f"\nsuggest on {len(stored)} stored vectors: {group_s:.3f} s")
    pooled = product.pooled
    print(
        f"f1={pooled.f1:.3f} ari={pooled.ari:.3f}"
        f" cross_language_recall={pooled.cross_language_recall:.3f}"
        f" embed_s_per_1000={embed_s * 1000 / len(texts):.3f}"
        f" group_s_per_1000={group_s * 1000 / len(stored):.3f}"
    )


if __name__ == "__main__":
    main()
