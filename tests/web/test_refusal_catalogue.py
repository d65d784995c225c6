"""Every refusal has its words in both languages, with exactly the placeholders its parameters fill."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from fractions import Fraction

import pytest
from flask_babel import force_locale, gettext

from market.domain.case_states import ReviewCheck
from market.domain.conversion import ConsentMissing, ConsentParty
from market.domain.errors import Kind, Refusal
from market.domain.money import parse_yuan
from market.domain.rules import DepositOutOfRange, NoticeTooShort
from market.domain.workflow import NoticePeriodRunning, ReviewIncomplete
from market.translations.refusals import TEXTS
from market.web.i18n import error_message
from market.web.labels import LABELS

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _placeholders(template: str) -> set[str]:
    return set(PLACEHOLDER.findall(template))


def _sample(name: str) -> object:
    return 123_456 if name.endswith("_fen") else "x"


@pytest.fixture
def classes(app) -> list[type[Refusal]]:
    """Every refusal class (a walk of Refusal's subclasses, once the app has imported domain, services, web)."""
    found, todo = [], [Refusal]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_refusal_has_english_and_chinese_words_with_exactly_its_parameters(app, classes):
    assert len(classes) > 150
    problems = []
    for cls in classes:
        english = TEXTS.get(cls.code)
        if english is None:
            problems.append(f"{cls.__name__} ({cls.code}): no English")
            continue
        with app.test_request_context(), force_locale("zh"):
            chinese = gettext(english)
            rendered = error_message(cls(**{name: _sample(name) for name in cls.fields}))
        if chinese == english or not re.search(r"[\u4e00-\u9fff]", chinese):
            problems.append(f"{cls.__name__} ({cls.code}): no Chinese")
        for language, template in (("en", english), ("zh", chinese)):
            if _placeholders(template) != set(cls.fields):
                problems.append(f"{cls.__name__} ({cls.code}) {language}: {_placeholders(template)} != {cls.fields}")
        if "fen" in rendered or "%(" in rendered:
            problems.append(f"{cls.__name__} ({cls.code}): {rendered}")
    assert problems == []


def test_a_code_means_one_thing_and_every_refusal_has_a_kind(classes):
    fields_of_code: dict[str, set[tuple[str, ...]]] = {}
    for cls in classes:
        fields_of_code.setdefault(cls.code, set()).add(tuple(sorted(cls.fields)))
        assert isinstance(cls.kind, Kind)
    assert {code: shapes for code, shapes in fields_of_code.items() if len(shapes) > 1} == {}


def test_a_refusal_takes_exactly_its_declared_parameters():
    with pytest.raises(TypeError):
        NoticeTooShort()
    with pytest.raises(TypeError):
        NoticeTooShort(days=30, hours=1)


def test_every_label_table_names_every_member_of_its_enum():
    for enum_cls, table in LABELS.items():
        assert set(enum_cls) <= set(table), enum_cls


def test_the_reader_gets_yuan_percentages_beijing_time_and_translated_labels(app):
    deposit = DepositOutOfRange(low_share=Fraction(5, 100), high_share=Fraction(20, 100), low_fen=5_250_000,
                                high_fen=21_000_000)
    running = NoticePeriodRunning(ends_at=datetime(2026, 12, 22, 2, 0, tzinfo=UTC))
    with app.test_request_context(), force_locale("zh"):
        assert error_message(deposit) == "保证金须为起拍价的5%至20%（¥52,500.00–¥210,000.00）。"
        assert "2026-12-22 10:00" in error_message(running)
        assert error_message(ReviewIncomplete(checks=[ReviewCheck.TITLE, ReviewCheck.PLEDGE_REGISTRATION])) == (
            "尚待核验：权属：借款企业为权利人、知识产权局质押登记。")
        assert error_message(ConsentMissing(parties=[ConsentParty.BANK])) == "尚缺以下各方同意，债转股无法实施：质权银行。"
    with app.test_request_context(), force_locale("en"):
        assert error_message(ConsentMissing(parties=[ConsentParty.BANK, ConsentParty.AIC])).endswith(
            "of: Pledgee bank, AIC.")


def test_str_gives_the_catalogues_english_for_logs():
    try:
        parse_yuan("12a")
    except Refusal as refusal:
        assert str(refusal) == (
                "amount: “12a” is not an amount; write digits (grouped by threes with commas if you like) and at most "
                "two decimals, e.g. 1,234.50.")
    assert str(NoticeTooShort(days=30)) == "The public notice runs for at least 30 days."
