"""The trained model (from the repo's data) on held-out examples it never saw."""
from collections import defaultdict

import pytest

from bot.understanding.scoring import load_examples, top


@pytest.fixture(scope="module")
def held_out_results(understanding):
    examples = load_examples()
    return [(e, understanding.parse(e.text)) for e in examples]


def test_held_out_file_covers_every_intent_with_ten_examples(held_out_results):
    import yaml
    from pathlib import Path

    domain = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text())
    counts = defaultdict(int)
    for example, _ in held_out_results:
        counts[example.intent] += 1
    assert {i: counts[i] for i in domain["intents"] if counts[i] < 10} == {}


def test_held_out_intent_accuracy(held_out_results):
    hits = sum(top(r)[0] == e.intent for e, r in held_out_results)
    accuracy = hits / len(held_out_results)
    # `make eval` reports the exact figure; this guards against a model that has clearly regressed.
    assert accuracy >= 0.90, f"held-out accuracy {accuracy:.3f}"


def test_informal_examples_are_understood(held_out_results):
    informal = [(e, r) for e, r in held_out_results if e.style == "informal"]
    assert len(informal) >= 300
    accuracy = sum(top(r)[0] == e.intent for e, r in informal) / len(informal)
    assert accuracy >= 0.88, f"informal accuracy {accuracy:.3f}"


@pytest.mark.parametrize(
    "text, intent",
    [
        ("brp iuran bpjs tk buat pedagang sebulan", "contribution_bpu"),
        ("brp iuran jkk klo gaji 2jt", "calculate_contribution"),
        ("sy udh resign 2 bulan gmn cara cairin jht", "claim_jht"),
        ("otp jmo ga masuk2 dari kemaren", "app_support"),
        ("suami sy meninggal krn sakit, ahli waris dapet apa", "program_jkm"),
    ],
)
def test_typical_worker_messages(engine, text, intent):
    """A typical message is answered as its intent straight away: no "Maksud Anda…?" for these."""
    from bot.engine.events import TextEvent

    outcome = engine.handle(TextEvent(text))
    assert not outcome.understood.is_fallback, (text, outcome.understood.ranking[:3])
    assert outcome.understood.intent == intent, (text, outcome.understood.ranking[:3])


def test_amount_and_period_are_integers(understanding):
    result = understanding.parse("hitung iuran kalo penghasilan 2,5 juta bayar 3 bulan")
    assert result.entity("amount") == 2_500_000
    assert result.entity("period") == 3


@pytest.mark.parametrize(
    "text, program",
    [("apa itu jaminan hari tua", "jht"), ("manfaat jkk apa aja", "jkk"), ("kalo pensiun dapet berapa", "jp")],
)
def test_program_entity_maps_synonyms(understanding, text, program):
    assert understanding.parse(text).entity("program") == program


# Written for these tests (not from the training data or either held-out file): each a concrete
# problem the FAQ research answers, in the way people post them.
CONCRETE_PROBLEMS = [
    ("pabrik tempat sy kerja udh bangkrut dan bosnya kabur, hrd jg ga bisa dihubungi. gmn caranya cairin jht sy?",
     "claim_jht", "company_closed"),
    ("aku keluar kerja baik2 tapi kantor ga mau ngasih surat keterangan kerja. bisa ga klaim jht tanpa itu?",
     "claim_jht", "no_paklaring"),
    ("nomor hp yg kedaftar di jmo udh ga aktif, kode otp ga pernah masuk. gimana ya", "app_support", "otp_not_arriving"),
    ("sy punya 3 kartu kpj dr 3 perusahaan beda, bisa digabung jadi satu ga?", "check_membership", "multiple_kpj"),
    ("verifikasi wajah di jmo gagal terus dari kemarin padahal udah di tempat terang", "app_support", "face_verification"),
    ("klaim jht sy udah disetujui seminggu lalu tapi uangnya belum masuk ke rekening, normal ga?", "claim_jht", "claim_status"),
    ("gaji sy dipotong buat bpjs tiap bulan tapi pas dicek ternyata perusahaan ga nyetor iurannya", "worker_rights", "employer_arrears"),
    ("suami saya meninggal, saya istrinya mau urus santunan jkm. siapa aja ahli warisnya dan bawa apa?", "claim_jkm", "heirs"),
]


@pytest.mark.parametrize("text, intent, topic", CONCRETE_PROBLEMS)
def test_concrete_problems_get_their_own_answer(engine, knowledge, text, intent, topic):
    from bot.engine.events import TextEvent

    outcome = engine.handle(TextEvent(text))
    assert (outcome.understood.intent, outcome.understood.topic) == (intent, topic)
    expected = knowledge.answers.reply(intent, topic=topic).text.split("\n")[0]
    assert outcome.replies[0].text.startswith(expected)


@pytest.mark.parametrize("text, intent", [
    ("assalamualaikum min, mau nanya. kalau saya kena phk dari toko, dapat uang jkp berapa lama ya? makasih min 🙏",
     "program_jkp"),
    ("selamat malam. maaf ganggu malam2. berapa iuran bpjs tk buat pedagang sayur kayak saya sebulan? terima kasih",
     "contribution_bpu"),
    ("halo kak, semoga sehat selalu. saya mau tanya nomor call center bpjs ketenagakerjaan berapa ya. makasih",
     "contact_office"),
])
def test_greetings_and_thanks_around_a_question_never_replace_its_answer(understanding, text, intent):
    assert understanding.parse(text).intent == intent


def test_a_late_payout_complaint_is_not_answered_as_a_scam(understanding):
    text = ("udah tiga minggu jht saya statusnya masih diproses terus, padahal katanya cuma beberapa hari kerja. "
            "saya butuh banget uangnya buat bayar kontrakan. kenapa lama banget ya min?")
    result = understanding.parse(text)
    assert result.intent == "claim_jht" and result.intent != "scam_warning"


def test_a_scam_is_still_recognised_in_a_long_message(understanding):
    text = ("tadi siang ada yang nelpon ngaku petugas bpjs ketenagakerjaan. katanya jht saya bisa cair hari ini "
            "juga asal saya kirim kode otp yang masuk ke hp. itu beneran petugas atau penipuan ya?")
    assert understanding.parse(text).intent == "scam_warning"


def test_real_style_held_out_accuracy(understanding):
    """`make eval` reports the exact figures; this guards against a model that clearly regressed."""
    from bot.understanding.files import REAL_TEST_FILE

    examples = load_examples(REAL_TEST_FILE)
    results = understanding.parse_many([e.text for e in examples])
    accuracy = sum(top(r)[0] == e.intent for e, r in zip(examples, results)) / len(examples)
    topical = [(e, r) for e, r in zip(examples, results) if e.topic]
    topic_accuracy = sum(top(r)[0] == e.intent and r.topic == e.topic for e, r in topical) / len(topical)
    assert accuracy >= 0.85, f"real-style accuracy {accuracy:.3f}"
    assert topic_accuracy >= 0.80, f"real-style topic accuracy {topic_accuracy:.3f}"
