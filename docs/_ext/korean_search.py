"""Search for the Korean edition: find words whatever particle (조사) is attached to them.

Sphinx has no Korean search language: it indexes 파라미터를 as one word, so a search for
파라미터 misses it. This one also indexes each Korean word without its trailing particle;
queries are matched as typed, so both 파라미터 and 파라미터를 find 파라미터를.
"""

import re

from sphinx.application import Sphinx
from sphinx.search import SearchLanguage

# Longest first, so that 에서는 is removed whole rather than as 는.
PARTICLES = sorted(
    (  # noqa: SIM905 (a word list reads best as text)
        "이 가 을 를 은 는 의 에 로 와 과 도 만 나 란 으로 에서 에게 까지 부터 처럼 보다 마다 "
        "이나 이란 이라는 라는 에는 에도 에서는 에서도 으로는 으로도 로는 와는 과는 이며 이고 "
        "입니다 이다 이면 인 적인"
    ).split(),
    key=len,
    reverse=True,
)
_HANGUL = re.compile("[\uac00-\ud7a3]")


def without_particle(word: str) -> str | None:
    """The word without its trailing particle, or None if it has none to remove."""
    if _HANGUL.search(word):
        for particle in PARTICLES:
            if word.endswith(particle) and len(word) > len(particle):
                return word[: -len(particle)]
    return None


class SearchKorean(SearchLanguage):
    lang = "ko"
    language_name = "Korean"

    def split(self, input: str) -> list[str]:
        words = super().split(input)
        return words + [stem for word in words if (stem := without_particle(word))]


def setup(app: Sphinx) -> dict[str, bool]:
    app.add_search_language(SearchKorean)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
