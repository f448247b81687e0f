"""Recommendations that recur across groups, so the same idea is not counted six times.

Six action groups hear many of the same delegations, and rapporteurs word the same idea a
little differently. Recommendations of different groups whose wording is close (cosine
similarity of their TF-IDF word weights) are gathered into one idea, and the delegations
behind it are counted once. It compares words, so it finds rewordings in one language;
grouping across languages is a later step.
"""

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import Session

from app.grouping import RecommendationView, recommendations
from app.meetings import meeting_groups
from app.models import Delegation, Group, Meeting, ident

# Close enough to be the same idea: checked on rewordings and near misses in the tests.
THRESHOLD = 0.5
WORD = re.compile(r"\w+", re.UNICODE)
# Words that say nothing about the idea, in the languages rapporteurs mostly write in.
STOPWORDS = frozenset(
    """a an and are as at be by for from in into is it its of on or that the their them
    they this to with all should must will shall can more also such other which who
    le la les de des du un une et en au aux pour par sur dans que qui est sont leur leurs
    el los las del y por para con su sus que es son una""".split()
)


@dataclass
class Member:
    """One group's recommendation within a recurring idea."""

    group: Group
    view: RecommendationView


@dataclass
class Idea:
    """Recommendations of several groups that say the same thing."""

    members: list[Member]
    delegations: list[Delegation] = field(default_factory=list)

    @property
    def groups(self) -> int:
        return len({ident(m.group) for m in self.members})

    @property
    def counted_separately(self) -> int:
        """The support the groups' reports add up to, counting a delegation in each group."""
        return sum(m.view.support for m in self.members)


@dataclass
class Recurring:
    ideas: list[Idea]
    recommendations: int  # with cards behind them, in all groups
    distinct: int  # once each recurring idea counts as one


def words(text: str) -> list[str]:
    """Return the words of a text that carry meaning, lightly stemmed."""
    result = []
    for word in WORD.findall(text.casefold()):
        if word in STOPWORDS or len(word) < 3 or word.isdigit():
            continue
        result.append(_stem(word))
    return result


def _stem(word: str) -> str:
    # Plurals only: "migrants" and "migrant"; stronger stemming mixed unrelated words.
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def similarity_vectors(texts: list[str]) -> list[dict[str, float]]:
    """Weigh each text's words by TF-IDF, normalised to unit length."""
    bags = [Counter(words(t)) for t in texts]
    documents = Counter(word for bag in bags for word in bag)
    count = len(texts)
    vectors = []
    for bag in bags:
        # Smoothed: a word every recommendation uses still counts, a rare one counts more.
        vector = {w: n * math.log(1 + count / documents[w]) for w, n in bag.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        vectors.append({w: v / norm for w, v in vector.items()})
    return vectors


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(w, 0.0) for w, v in a.items())


def recurring(session: Session, meeting: Meeting) -> Recurring:
    """Gather the meeting's recommendations that recur in several groups."""
    groups = meeting_groups(session, meeting)
    return recurring_among([(group, recommendations(session, group)) for group in groups])


def recurring_among(groups: list[tuple[Group, list[RecommendationView]]]) -> Recurring:
    """Gather the recommendations (with cards behind them) that recur in several groups."""
    members = [Member(group, view) for group, views in groups for view in views if view.cards]
    members.sort(key=lambda m: (m.group.number, m.view.number))  # whatever order they came in
    vectors = similarity_vectors([m.view.recommendation.text for m in members])
    parent = list(range(len(members)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(members)):
        for j in range(i + 1, len(members)):
            if members[i].group.id == members[j].group.id:
                continue  # within a group, the rapporteurs merge what they find alike
            if cosine(vectors[i], vectors[j]) >= THRESHOLD:
                parent[root(j)] = root(i)
    clusters: dict[int, list[Member]] = {}
    for index, member in enumerate(members):
        clusters.setdefault(root(index), []).append(member)
    ideas = [_idea(c) for c in clusters.values() if len({ident(m.group) for m in c}) > 1]
    ideas.sort(key=lambda idea: (-len(idea.delegations), -idea.groups))
    folded = sum(len(idea.members) - 1 for idea in ideas)
    return Recurring(ideas=ideas, recommendations=len(members), distinct=len(members) - folded)


def _idea(members: list[Member]) -> Idea:
    members.sort(key=lambda m: (m.group.number, m.view.number))
    delegations: dict[int, Delegation] = {}
    for member in members:
        for delegation in member.view.delegations:
            delegations.setdefault(ident(delegation), delegation)
    return Idea(members=members, delegations=list(delegations.values()))
