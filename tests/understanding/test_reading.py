"""Reading long messages by what they ask: which pieces go to the model, and how they combine."""
from bot.understanding.reading import combine, is_question, pieces, sentences
from bot.understanding.result import FALLBACK_INTENT, Understood

STORY = ("assalamualaikum min. saya kerja di pabrik garmen lima tahun dan resign bulan juni kemarin. "
         "hrd nya ga mau kasih surat apa apa. gimana cara cairin jht saya? makasih banyak 🙏")


def parsed(text, ranking, topic=""):
    return Understood(text=text, intent=ranking[0][0], confidence=ranking[0][1], ranking=tuple(ranking),
                      topic=topic, topic_confidence=0.9 if topic else 0.0)


def test_a_story_is_split_into_its_sentences():
    assert sentences(STORY) == ["assalamualaikum min", "saya kerja di pabrik garmen lima tahun dan resign bulan juni kemarin",
                                "hrd nya ga mau kasih surat apa apa", "gimana cara cairin jht saya?", "makasih banyak"]


def test_short_messages_are_read_whole():
    assert pieces("brp iuran jkk klo gaji 2jt") == ["brp iuran jkk klo gaji 2jt"]
    assert pieces("halo min. cara klaim jht?") == ["halo min. cara klaim jht?"]


def test_long_messages_are_read_whole_and_by_sentence():
    read = pieces(STORY)
    assert read[0] == STORY
    assert "gimana cara cairin jht saya?" in read and "makasih banyak" in read


def test_questions_are_recognised_with_or_without_a_question_mark():
    assert is_question("gimana cara cairin jht saya")
    assert is_question("saldo saya kok belum masuk?")
    assert not is_question("saya kerja di pabrik garmen lima tahun")


def test_greeting_and_thanks_around_a_question_never_replace_its_answer():
    whole = parsed(STORY, [("greet", 0.55), ("claim_jht", 0.40)])
    parts = [
        parsed("assalamualaikum min", [("greet", 0.97)]),
        parsed("saya kerja di pabrik garmen lima tahun dan resign bulan juni kemarin", [("claim_jht", 0.5), ("program_jkp", 0.4)]),
        parsed("hrd nya ga mau kasih surat apa apa", [("worker_rights", 0.6), ("claim_jht", 0.3)]),
        parsed("gimana cara cairin jht saya?", [("claim_jht", 0.9), ("program_jht", 0.1)], topic="no_paklaring"),
        parsed("makasih banyak", [("thanks", 0.98)]),
    ]
    result = combine(STORY, [whole, *parts])
    assert result.intent == "claim_jht"
    assert result.topic == "no_paklaring"
    assert result.read_as == "sentence"
    assert result.text == STORY


def test_the_whole_reading_stands_when_the_question_agrees():
    whole = parsed(STORY, [("claim_jht", 0.8), ("program_jht", 0.1)], topic="no_paklaring")
    parts = [parsed("gimana cara cairin jht saya?", [("claim_jht", 0.9)]),
             parsed("saya kerja di pabrik", [("program_jkp", 0.6), ("claim_jht", 0.3)])]
    assert combine(STORY, [whole, *parts]) == whole


def test_the_question_sentence_outweighs_the_story():
    whole = parsed(STORY, [("scam_warning", 0.5), ("claim_jht", 0.45)])
    parts = [parsed("katanya ada calo bisa bantu tapi saya ga mau", [("scam_warning", 0.9), ("claim_jht", 0.1)]),
             parsed("kenapa jht saya belum cair juga?", [("claim_jht", 0.95), ("scam_warning", 0.05)], topic="claim_status")]
    result = combine(STORY, [whole, *parts])
    assert (result.intent, result.topic) == ("claim_jht", "claim_status")


def test_a_message_that_is_only_politeness_stays_politeness():
    text = "selamat pagi min. semoga sehat selalu ya. terima kasih"
    whole = parsed(text, [("greet", 0.8), ("thanks", 0.2)])
    parts = [parsed("selamat pagi min", [("greet", 0.95)]), parsed("terima kasih", [("thanks", 0.97)])]
    assert combine(text, [whole, *parts]).intent == "greet"


def test_an_unsure_mix_asks_back():
    whole = parsed(STORY, [(FALLBACK_INTENT, 0.75), ("claim_jht", 0.25), ("program_jht", 0.24), ("app_support", 0.2)])
    parts = [parsed("gimana ya?", [("app_support", 0.3), ("claim_jht", 0.29), ("program_jht", 0.28)])]
    result = combine(STORY, [whole, *parts])
    assert result.intent == FALLBACK_INTENT and result.ranking[0][0] == FALLBACK_INTENT


def test_a_question_whose_sentence_starts_with_a_greeting_is_not_answered_with_the_greeting():
    text = "sugeng enjing min, aku bakul sayur neng pasar, nek arep daftar bpjs tk carane piye? matur nuwun"
    whole = parsed(text, [("greet", 0.5), ("registration_how", 0.3), ("thanks", 0.2)])
    parts = [parsed("sugeng enjing min, aku bakul sayur neng pasar, nek arep daftar bpjs tk carane piye?",
                    [("greet", 0.45), ("registration_how", 0.4), ("eligibility", 0.15)]),
             parsed("matur nuwun", [("thanks", 0.95)])]
    result = combine(text, [whole, *parts])
    assert result.intent == "registration_how"
