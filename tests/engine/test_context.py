"""The conversation context's rules: what a message tells about the user, and when a subject expires."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.engine.context import Context, Profile, Subject, default_rules
from bot.understanding import Understood

MOMENT = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("text, expected", [
    ("saya narik ojol tiap hari", {"sector": "transport", "employment": "self_employed"}),
    ("aku kurir shopee food", {"sector": "transport", "employment": "self_employed"}),
    ("sy jualan sayur di pasar", {"sector": "non_transport", "employment": "self_employed"}),
    ("aku karyawan pabrik garmen", {"employment": "employee"}),
    ("saya punya 3 karyawan di warung", {"role": "owner", "workers": 3, "sector": "non_transport"}),
    ("karyawan saya ada 12 orang", {"role": "owner", "workers": 12}),
    ("usaha mikro saya baru jalan", {"size": "mikro"}),
    ("brp iuran jkk", {}),
])
def test_what_a_message_tells_about_the_user(text, expected):
    learned = default_rules().learn(text, Profile())
    assert learned.known() == expected


def test_the_last_income_is_kept_and_later_words_change_the_profile():
    rules = default_rules()
    profile = rules.learn("saya ojol", Profile(), income=2_500_000)
    assert profile.income == 2_500_000 and profile.sector == "transport"
    changed = rules.learn("sekarang aku jualan nasi", profile)
    assert changed.sector == "non_transport" and changed.income == 2_500_000


def test_the_subject_expires_after_thirty_idle_minutes_and_the_profile_stays():
    stored = Context(Subject("claim_jht", "claim_status", "jht"), Profile(sector="transport")).dump()
    fresh = Context.load(stored, MOMENT - dt.timedelta(minutes=29), MOMENT)
    assert fresh.subject == Subject("claim_jht", "claim_status", "jht")
    stale = Context.load(stored, MOMENT - dt.timedelta(minutes=31), MOMENT)
    assert stale.subject is None
    assert stale.profile.sector == "transport"


def test_the_stored_context_holds_no_identity_data():
    profile = default_rules().learn("nik saya 3201014101900001, hp 081234567890, saya ojol", Profile())
    stored = str(Context(None, profile).dump())
    assert "3201014101900001" not in stored and "081234567890" not in stored


def understood(text: str, intent: str, confidence: float, entities=()) -> Understood:
    return Understood(text=text, intent=intent, confidence=confidence, entities=tuple(entities))


@pytest.mark.parametrize("text, intent, confidence, fragment", [
    ("berapa lama?", "nlu_fallback", 0.3, True),
    ("kalau belum 1 bulan?", "goodbye", 0.8, True),       # a question is never only politeness
    ("makasih ya", "thanks", 0.95, False),
    ("oke siap", "affirm", 0.9, False),
    ("saya sudah resign dari pabrik tiga bulan lalu dan mau cairkan jht", "claim_jht", 0.9, False),
])
def test_a_fragment_is_short_and_not_only_politeness(text, intent, confidence, fragment):
    assert default_rules().is_fragment(understood(text, intent, confidence)) is fragment


def test_a_follow_up_naming_another_program_keeps_the_family():
    rules = default_rules()
    subject = Subject("claim_jkm", "", "jkm")
    other = understood("yang JHT juga?", "program_jht", 0.5, [{"entity": "program", "value": "jht"}])
    assert rules.in_context(other, subject).startswith(rules.families["claim"]["phrase"])
    same = understood("dokumennya apa aja?", "registration_requirements", 0.5)
    assert rules.in_context(same, subject).startswith(rules.subjects["claim_jkm"]["phrase"])


def test_the_context_data_names_only_known_intents_parts_and_aspects(knowledge):
    rules = default_rules()
    answers = knowledge.answers.answers
    for intent, spec in rules.subjects.items():
        assert intent in answers, f"context.yml: subject of unknown intent {intent}"
        assert spec.get("phrase"), f"context.yml: {intent} has no phrase"
        for other in spec.get("related") or ():
            assert other in answers, f"context.yml: {intent} related to unknown intent {other}"
    for family in rules.families.values():
        assert set(family["intents"].values()) <= set(answers)
    from bot.engine.sections import Part

    for intent, choices in rules.profile_parts.items():
        for label in choices.values():
            part = Part.from_label(label)
            assert part.intent == intent, label
            assert not part.topic or knowledge.answers.has_topic(intent, part.topic), label
            assert not part.section or part.section in answers[intent].more, label
    kinds = {"owner", "employee", "self_employed"}
    for label, audience in rules.audiences.items():
        part = Part.from_label(label)
        assert part.intent in answers, label
        assert not part.topic or part.topic in answers[part.intent].topics, label
        assert not part.section or part.section in answers[part.intent].more, label
        assert set(audience) <= kinds, label
    for label, other in rules.part_subjects.items():
        part = Part.from_label(label)
        assert part.section in answers[part.intent].more, label
        assert other in rules.subjects, label
    for key, names in rules.part_aspects.items():
        intent, section, topic = key.split(":")[0].split("/")[0], "", ""
        if ":" in key:
            section = key.split(":", 1)[1]
        if "/" in key:
            topic = key.split("/", 1)[1]
        assert intent in answers, key
        assert not section or section in answers[intent].more, key
        assert not topic or topic in answers[intent].topics, key
        assert set(names) <= set(rules.aspects), key


@pytest.mark.parametrize("text, expected", [
    ("oh iya klo mau daftar lewat hp bisa?", "klo mau daftar lewat hp bisa?"),
    ("btw, satu lagi: bayar iuran bisa di indomaret?", "bayar iuran bisa di indomaret?"),
    ("oiya min iuran jkk brp", "min iuran jkk brp"),
    ("oh iya", "oh iya"),                          # nothing after it: a yes, kept as typed
    ("oh iya bener", "oh iya bener"),              # one word after it is no question of its own
    ("ohh gitu ya", "ohh gitu ya"),                # no opener
])
def test_an_opener_is_left_out_only_before_a_question_of_its_own(text, expected):
    assert default_rules().without_opener(text) == expected


def test_parts_for_another_kind_of_user_are_left_out_and_the_profile_picks_parts():
    rules = default_rules()
    assert rules.not_for(Profile()) == frozenset()                 # nothing known: nothing left out
    self_employed = Profile(employment="self_employed")
    assert "claim_jkk:late_report" in rules.not_for(self_employed)
    assert "claim_jht/bpu_claim" not in rules.not_for(self_employed)
    owner = Profile(role="owner", workers=4)
    assert "registration_how/bpu_only_option" in rules.not_for(owner)
    assert "claim_jkk:late_report" not in rules.not_for(owner)
    assert rules.part_for("registration_how", owner) == ("registration_how:employer", "owner")
    assert rules.part_for("claim_jht", self_employed) == ("claim_jht/bpu_claim", "self_employed")
    assert rules.part_for("registration_how", self_employed) == ("", "")


def test_the_number_of_workers_names_no_part_of_an_answer():
    rules = default_rules()
    assert "4" not in rules.without_workers("klo buat karyawan sy gmn? ada 4 org")
    assert rules.learn("klo buat karyawan sy gmn? ada 4 org", Profile()).workers == 4


def test_a_section_that_hands_over_to_another_program_moves_the_subject():
    rules = default_rules()
    jkm = Subject("program_jkm", "", "jkm")
    assert rules.subject_after(jkm, "work_death") == Subject("program_jkk", "", "jkk")
    assert rules.subject_after(jkm, "scholarship") == jkm
    assert rules.subject_after(jkm, "") == jkm
    # An app answer about a named program's claim: that claim is matched as the subject's own.
    assert rules.own(Subject("app_support", "app_error", "jht")) == ["app_support", "claim_jht"]
    assert rules.own(Subject("payment_how", "", "jht")) == ["payment_how"]
