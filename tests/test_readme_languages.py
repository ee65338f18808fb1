"""The README's user guide in Spanish and Portuguese (issue #9) keeps pace with the English
one: the same sections (level-2 headings) in the same number, linked from the top of each
other, and every setting and command line of the English guide still named in each."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = {"es": ROOT / "README.es.md", "pt": ROOT / "README.pt.md"}
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def _prose(path: Path) -> str:
    """The file without its fenced code blocks (a "## " inside one is no heading)."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def _headings(path: Path, level: int) -> list[str]:
    return re.findall(rf"^{'#' * level} (.+)$", _prose(path), re.M)


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_every_section_of_the_readme_has_its_counterpart(language):
    english, translated = _headings(ROOT / "README.md", 2), _headings(TRANSLATIONS[language], 2)
    assert len(translated) == len(english), (
        f"README.md has {len(english)} sections ({english}); README.{language}.md has {len(translated)} "
        f"({translated}): translate the new or removed section")
    assert len(_headings(TRANSLATIONS[language], 3)) == len(_headings(ROOT / "README.md", 3))


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_the_guides_link_to_each_other(language):
    top = "\n".join((ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:5])
    assert f"README.{language}.md" in top
    assert "(README.md)" in "\n".join(TRANSLATIONS[language].read_text(encoding="utf-8").splitlines()[:5])


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_every_setting_and_command_is_in_each_guide(language):
    english, translated = (ROOT / "README.md").read_text(encoding="utf-8"), TRANSLATIONS[language].read_text(
        encoding="utf-8")
    names = set(re.findall(r"`(CITYSTAT_[A-Z_]+)`", english)) | set(re.findall(r"`(make [a-z]+)`", english))
    assert names and not sorted(name for name in names if name not in translated)
