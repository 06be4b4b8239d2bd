"""Shared behaviour of flows that ask for typed answers: retries, explanations, question detection."""
from __future__ import annotations

from bot.engine.replies import Button, Reply
from bot.engine.turn import Turn

# A typed answer that the NLU reads as one of these, confidently, is a question, not an answer.
KNOWLEDGE_INTENTS = (
    "about_bpjamsostek", "program_jkk", "program_jkm", "program_jht", "program_jp", "program_jkp",
    "contribution_bpu", "contribution_pu", "eligibility", "registration_how", "registration_requirements",
    "payment_how", "payment_late", "claim_jht", "claim_jkk", "claim_jkm", "claim_jkp", "employer_obligation",
    "worker_rights", "check_membership", "app_support", "contact_office", "scam_warning", "bpjs_kesehatan",
    "human_handoff", "bot_challenge", "delete_my_data", "enrolment_status",
)
QUESTION_CONFIDENCE = 0.85


def looks_like_question(turn: Turn, text: str, free_text: bool = False) -> bool:
    """True when the user asked something instead of answering (and the model can tell)."""
    if not turn.model_ready:
        return False
    understood = turn.parse(text)
    if understood.is_fallback or understood.intent not in KNOWLEDGE_INTENTS:
        return False
    if understood.confidence < QUESTION_CONFIDENCE:
        return False
    # Names and occupations are free text: ask for a clearer sign that it is a question.
    return not free_text or "?" in text or len(text.split()) >= 3


def retry(turn: Turn, flow: str, step: str, state: dict, message: str, explanation: str,
          help_buttons: tuple[Button, ...]) -> list[Reply]:
    """Say what is expected; on the second miss, explain the field and offer help or a way out."""
    state["tries"] = int(state.get("tries", 0)) + 1
    turn.set_state(flow, step, state)
    if state["tries"] >= 2:
        return [Reply(message), Reply(explanation.strip(), help_buttons)]
    return [Reply(message)]
