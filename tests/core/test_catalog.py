"""The benefit catalog: the shipped one loads and says what it must; every kind of mistake in a
policy file is refused with an error that names the file, the benefit and the field."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, load_catalog, read_policy_document
from kiosk.core.benefits import Catalog, CatalogError, parse_catalog

FACTS_MD = DEFAULT_POLICY_DIR / "FACTS.md"
BUSINESS_SCHEMES = {"uscc", "token", "credential"}
PERSON_SCHEMES = {"ric", "token", "credential"}
CJK = re.compile(r"[\u4e00-\u9fff]")
Document = dict[str, Any]


# --- the shipped catalog ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(DEFAULT_POLICY_DIR)


def test_shipped_catalog_has_the_seven_benefits(catalog: Catalog) -> None:
    assert {b.id for b in catalog.benefits} == {
        "expedited-permit", "fewer-inspections", "bid-bond-waiver", "sme-loan-referral",
        "deposit-free-rental", "library-deposit-free", "volunteer-transit",
    }
    kinds = {b.id: b.kind for b in catalog.benefits}
    assert [k for k in kinds.values() if k == "person"] == ["person"] * 3


def test_each_benefit_takes_the_schemes_of_its_kind_and_has_three_to_six_criteria(catalog: Catalog) -> None:
    for benefit in catalog.benefits:
        expected = BUSINESS_SCHEMES if benefit.kind == "business" else PERSON_SCHEMES
        assert set(benefit.schemes) == expected, benefit.id
        assert 3 <= len(benefit.criteria) <= 6, benefit.id


def test_every_text_is_chinese_in_chinese_and_not_in_english(catalog: Catalog) -> None:
    for benefit in catalog.benefits:
        texts = [benefit.title, benefit.summary, benefit.legal_basis]
        for criterion in benefit.criteria:
            texts += [criterion.title, criterion.passed, criterion.failed, criterion.unknown,
                      criterion.remedy, criterion.unknown_remedy]
        for text in texts:
            assert CJK.search(text.zh), (benefit.id, text.zh)
            # English may quote a Chinese name in brackets only; the sentence itself is English.
            assert len(CJK.findall(text.en)) <= 4, (benefit.id, text.en)


def test_remedies_name_the_route_they_claim(catalog: Catalog) -> None:
    # route -> (words one of which the Chinese remedy uses, the same for English)
    markers = {
        "credit_repair": (("信用修复",), ("credit repair",)),
        "objection": (("异议", "复评"), ("objection", "re-assessment")),
        "correct_record": (("更正", "纠正", "移出"), ("correct",)),
        "register": (("注册", "登记", "申请", "申领", "签署"), ("register", "Register", "apply", "Apply", "Sign")),
        "retry_after": (("再次申请",), ("apply again",)),
    }
    for benefit in catalog.benefits:
        for criterion in benefit.criteria:
            zh_words, en_words = markers[criterion.remedy_route]
            assert any(w in criterion.remedy.zh for w in zh_words), (benefit.id, criterion.id)
            assert any(w in criterion.remedy.en for w in en_words), (benefit.id, criterion.id)


def test_dishonesty_remedies_cite_the_2026_credit_repair_measures(catalog: Catalog) -> None:
    for benefit in catalog.benefits:
        for criterion in benefit.criteria:
            if criterion.remedy_route == "credit_repair":
                assert "国家发展改革委令第36号" in criterion.remedy.zh, benefit.id
                assert "NDRC Order No. 36" in criterion.remedy.en, benefit.id


def test_every_personal_benefit_has_a_rule_on_a_date(catalog: Catalog) -> None:
    for benefit in catalog.benefits:
        if benefit.kind == "person":
            assert any("plusTime" in json.dumps(c.rule) for c in benefit.criteria), benefit.id


def test_retry_after_criteria_that_show_values_tell_the_date(catalog: Catalog) -> None:
    for benefit in catalog.benefits:
        for criterion in benefit.criteria:
            if criterion.remedy_route == "retry_after" and criterion.show_value:
                for text in (criterion.remedy.zh, criterion.remedy.en):
                    assert "{" in text, (benefit.id, criterion.id)


def test_shared_facts_have_one_source_across_benefits(catalog: Catalog) -> None:
    sources: dict[str, set[str]] = {}
    for benefit in catalog.benefits:
        for criterion in benefit.criteria:
            for fact in criterion.facts:
                sources.setdefault(fact, set()).add(criterion.source_id)
    assert {fact: s for fact, s in sources.items() if len(s) > 1} == {}
    assert len([b for b in catalog.benefits if any("serious_dishonesty_listed" in c.facts for c in b.criteria)]) == 7


def _facts_table() -> dict[str, tuple[str, set[str]]]:
    """FACTS.md's table: fact -> (source authority id, benefits that read it)."""
    rows: dict[str, tuple[str, set[str]]] = {}
    for line in FACTS_MD.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].startswith("`") and cells[3].startswith("`"):
            rows[cells[0].strip("`")] = (cells[3].strip("`"), {b.strip() for b in cells[5].split(",")})
    return rows


def test_facts_md_lists_every_fact_with_its_source_and_readers(catalog: Catalog) -> None:
    read: dict[str, tuple[str, set[str]]] = {}
    for benefit in catalog.benefits:
        for criterion in benefit.criteria:
            for fact in (*criterion.facts, *criterion.date_facts):
                _, readers = read.setdefault(fact, (criterion.source_id, set()))
                readers.add(benefit.id)
    assert _facts_table() == read


def test_facts_md_sample_subjects_are_complete() -> None:
    text = FACTS_MD.read_text(encoding="utf-8")
    samples = [json.loads(m) for m in re.findall(r"`(\{.*?\})`", text, flags=re.S)]
    assert len(samples) == 2
    table = _facts_table()
    named = set(samples[0]) | set(samples[1])
    assert named == set(table)


# --- mistakes in policy files ----------------------------------------------------------------

@pytest.fixture()
def policy(tmp_path: Path) -> Path:
    folder = tmp_path / "policy"
    shutil.copytree(DEFAULT_POLICY_DIR, folder)
    return folder


def _edit(folder: Path, benefit_id: str, change: Callable[[Document], None]) -> Path:
    path = folder / "benefits" / f"{benefit_id}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def _criterion(document: Document, criterion_id: str) -> Document:
    return next(c for c in document["criteria"] if c["id"] == criterion_id)


def _refused(folder: Path) -> CatalogError:
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    return caught.value


def _assert_names(error: CatalogError, path: Path, benefit: str | None, field: str, *words: str) -> None:
    assert error.origin == str(path)
    assert error.benefit == benefit
    assert error.field_name == field
    # The message a maintainer reads names all three, and says what is wrong.
    assert str(path) in error.detail and field in error.detail
    if benefit:
        assert benefit in error.detail
    for word in words:
        assert word in error.detail
    # The person at the kiosk gets words, not the technical detail.
    assert "工作人员" in error.text.zh and "staff" in error.text.en


MISTAKES: list[tuple[str, str, Callable[[Document], None], str, tuple[str, ...]]] = [
    ("missing criterion field", "deposit-free-rental",
     lambda d: d["criteria"][2].pop("remedy"), "criteria[2]", ("missing", "remedy")),
    ("missing benefit field", "sme-loan-referral",
     lambda d: d.pop("legal_basis"), "(benefit)", ("missing", "legal_basis")),
    ("unknown criterion field", "volunteer-transit",
     lambda d: d["criteria"][1].update(colour="green"), "criteria[1]", ("unknown", "colour")),
    ("unknown benefit field", "bid-bond-waiver",
     lambda d: d.update(priority=1), "(benefit)", ("unknown", "priority")),
    ("English text missing", "fewer-inspections",
     lambda d: d["criteria"][3]["failed"].pop("en"), "criteria[3].failed", ("'en'",)),
    ("Chinese text blank", "library-deposit-free",
     lambda d: d["summary"].update({"zh-CN": "  "}), "summary", ("'zh-CN'",)),
    ("third language", "expedited-permit",
     lambda d: d["title"].update(fr="Permis accéléré"), "title", ("fr",)),
    ("unknown source authority", "sme-loan-referral",
     lambda d: d["criteria"][0].update(source="weather-bureau"), "criteria[0].source", ("authorities",)),
    ("unknown benefit authority", "deposit-free-rental",
     lambda d: d.update(authority="ministry-of-magic"), "authority", ("authorities",)),
    ("rule reads no fact", "library-deposit-free",
     lambda d: d["criteria"][0].update(rule={"===": [1, 1]}), "criteria[0].rule", ("reads no fact",)),
    ("rule reads non-fact data", "volunteer-transit",
     lambda d: d["criteria"][0].update(
         rule={"and": [{"var": "facts.volunteer_registered"}, {"===": [{"var": "payload.name"}, "x"]}]}),
     "criteria[0].rule", ("unknown data", "payload.name")),
    ("rule reads the whole data object", "volunteer-transit",
     lambda d: d["criteria"][0].update(rule={"and": [{"var": "facts.volunteer_registered"}, {"var": "external"}]}),
     "criteria[0].rule", ("unknown data",)),
    ("placeholder with show_value false", "fewer-inspections",
     lambda d: _criterion(d, "no-penalty-24-months").update(show_value=False),
     "criteria[3].failed.zh-CN", ("last_penalty_date", "show_value is false")),
    ("placeholder naming a fact the rule does not read", "volunteer-transit",
     lambda d: _criterion(d, "service-hours-100")["passed"].update(en="Born on {date_of_birth}."),
     "criteria[1].passed.en", ("date_of_birth",)),
    ("broken placeholder", "bid-bond-waiver",
     lambda d: d["criteria"][2]["remedy"].update(en="After {last_tender_misconduct_date"),
     "criteria[2].remedy.en", ("placeholder",)),
    ("duplicate criterion id", "expedited-permit",
     lambda d: d["criteria"][1].update(id=d["criteria"][0]["id"]), "criteria[1].id", ("twice",)),
    ("unknown operator", "deposit-free-rental",
     lambda d: d["criteria"][1].update(rule={"or": [{"var": "facts.public_rental_qualified"}, True]}),
     "criteria[1].rule", ("public-rental-qualified",)),
    ("wrong arity", "sme-loan-referral",
     lambda d: d["criteria"][5].update(rule={"===": [{"var": "facts.social_insurance_arrears"}]}),
     "criteria[5].rule", ("no-social-insurance-arrears",)),
    ("bad time unit", "library-deposit-free",
     lambda d: d["criteria"][1].update(rule={"not-after": [
         {"plusTime": [{"var": "facts.date_of_birth"}, 18, "decade"]},
         {"plusTime": [{"var": "external.today"}, 0, "day"]}]}),
     "criteria[1].rule", ("adult",)),
    ("scheme of the other kind", "bid-bond-waiver",
     lambda d: d.update(schemes=["uscc", "ric"]), "schemes", ("business",)),
    ("unknown remedy route", "volunteer-transit",
     lambda d: d["criteria"][4].update(remedy_route="pray"), "criteria[4].remedy_route", ("credit_repair",)),
    ("show_value not a boolean", "fewer-inspections",
     lambda d: d["criteria"][0].update(show_value="yes"), "criteria[0].show_value", ("true or false",)),
    ("valid_hours a boolean", "expedited-permit",
     lambda d: d.update(valid_hours=True), "valid_hours", ("hours",)),
    ("no criteria", "deposit-free-rental",
     lambda d: d.update(criteria=[]), "criteria", ("1 to 12",)),
    ("id with capitals", "library-deposit-free",
     lambda d: d["criteria"][0].update(id="Reader"), "criteria[0].id", ("lower-case",)),
]


@pytest.mark.parametrize(
    ("benefit_id", "change", "field", "words"),
    [m[1:] for m in MISTAKES],
    ids=[m[0] for m in MISTAKES],
)
def test_a_mistake_is_refused_naming_file_benefit_and_field(
    policy: Path, benefit_id: str, change: Callable[[Document], None], field: str, words: tuple[str, ...]
) -> None:
    path = _edit(policy, benefit_id, change)
    _assert_names(_refused(policy), path, benefit_id, field, *words)


def test_invalid_rule_error_carries_the_rule_error_detail(policy: Path) -> None:
    too_many = {">=": [{"var": "facts.volunteer_service_hours"}, "100", 3, 4]}
    path = _edit(policy, "volunteer-transit", lambda d: d["criteria"][1].update(rule=too_many))
    error = _refused(policy)
    _assert_names(error, path, "volunteer-transit", "criteria[1].rule", "service-hours-100")


def test_duplicate_benefit_id_names_the_second_file(policy: Path) -> None:
    copy = policy / "benefits" / "zz-copy.json"
    shutil.copy(policy / "benefits" / "fewer-inspections.json", copy)
    _assert_names(_refused(policy), copy, "fewer-inspections", "id", "another benefit")


def test_a_file_that_is_not_json_is_named(policy: Path) -> None:
    path = policy / "benefits" / "broken.json"
    path.write_text('{"id": "broken", ', encoding="utf-8")
    _assert_names(_refused(policy), path, None, "(file)", "JSON")


def test_a_benefit_that_is_not_an_object_is_named(policy: Path) -> None:
    path = policy / "benefits" / "list.json"
    path.write_text("[1, 2]", encoding="utf-8")
    _assert_names(_refused(policy), path, None, "(benefit)", "object")


def test_unknown_authority_in_policy_json_text(policy: Path) -> None:
    head = policy / "policy.json"
    document = json.loads(head.read_text(encoding="utf-8"))
    document["authorities"]["tax"] = {"zh-CN": "税务局"}
    head.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    _assert_names(_refused(policy), head, None, "authorities.tax", "'en'")


def test_benefits_inside_policy_json_are_refused(policy: Path) -> None:
    head = policy / "policy.json"
    document = json.loads(head.read_text(encoding="utf-8"))
    document["benefits"] = []
    head.write_text(json.dumps(document), encoding="utf-8")
    _assert_names(_refused(policy), head, None, "benefits", "benefits/*.json")


def test_an_empty_benefits_folder_is_refused(policy: Path) -> None:
    for path in (policy / "benefits").glob("*.json"):
        path.unlink()
    error = _refused(policy)
    assert error.field_name == "(folder)" and "no benefit files" in error.detail


# --- anything at all in any field: a CatalogError or a catalog, never a crash -----------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=12)
    | st.sampled_from(["A", "facts.x", "{date_of_birth}", "{", "credit-china", "uscc", "ric", "register"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["zh-CN", "en", "var", "===", "and", "if", "in", "plusTime", "x"]), inner, max_size=3),
    max_leaves=12,
)
_BENEFIT_FIELDS = ["id", "kind", "schemes", "title", "summary", "legal_basis", "authority", "valid_hours", "criteria"]
_CRITERION_FIELDS = ["id", "title", "rule", "source", "passed", "failed", "unknown", "remedy",
                     "unknown_remedy", "remedy_route", "show_value"]


def _shipped_document() -> tuple[Document, list[str]]:
    document, origins = read_policy_document(DEFAULT_POLICY_DIR)
    return document, origins


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    benefit_index=st.integers(0, 6),
    criterion_index=st.integers(0, 3),
    field=st.sampled_from(_BENEFIT_FIELDS + [f"criteria.{f}" for f in _CRITERION_FIELDS]),
    value=_json_values,
)
def test_any_value_in_any_field_is_a_catalog_or_a_catalog_error(
    benefit_index: int, criterion_index: int, field: str, value: object
) -> None:
    document, origins = _shipped_document()
    benefit = document["benefits"][benefit_index]
    if field.startswith("criteria."):
        benefit["criteria"][criterion_index][field.split(".", 1)[1]] = value
    else:
        benefit[field] = value
    try:
        parse_catalog(document, origin="policy.json", benefit_origins=origins)
    except CatalogError as error:
        # A changed benefit id can break a site preset, which lives in policy.json itself.
        assert error.origin in [*origins, "policy.json"]
        assert error.field_name


def test_shipped_document_round_trips_through_to_json(catalog: Catalog) -> None:
    again = parse_catalog(json.loads(json.dumps(catalog.to_json())))
    assert again.to_json() == catalog.to_json()


def _walk(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, str):
        yield value


def test_catalog_texts_use_no_braces_except_placeholders(catalog: Catalog) -> None:
    for text in _walk(catalog.to_json()):
        stripped = re.sub(r"\{[a-z_]+\}", "", text)
        assert "{" not in stripped and "}" not in stripped, text
