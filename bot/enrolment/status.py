"""Changing an application's status (CLI now, staff dashboard later) and telling the applicant."""
from __future__ import annotations

from bot.knowledge import Knowledge
from bot.storage.models import Application, User, now
from bot.storage.repository import Repository

STATUSES = ("diajukan", "diverifikasi", "aktif", "ditolak")
# Where an application may go from each status. A decision is final: a rejected applicant applies
# again with /daftar (the rejection message says so), an active membership is not undone here.
# A verification can be sent back for another look. Every move sends the applicant a message.
TRANSITIONS = {
    "diajukan": ("diverifikasi", "aktif", "ditolak"),
    "diverifikasi": ("aktif", "ditolak", "diajukan"),
    "aktif": (),
    "ditolak": (),
}


class StatusError(ValueError):
    pass


def next_statuses(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def change_status(repo: Repository, knowledge: Knowledge, reference: str, status: str,
                  reason: str = "") -> Application:
    """Set the status; a rejection needs a reason. The applicant gets a message in their chat."""
    app = repo.by_reference(reference)
    if app is None:
        raise StatusError(f"Tidak ada pendaftaran dengan nomor {reference}.")
    if status not in STATUSES:
        raise StatusError(f"Status harus salah satu dari: {', '.join(STATUSES)}.")
    if status == "ditolak" and not reason.strip():
        raise StatusError("Penolakan perlu alasan (--reason), supaya pendaftar tahu apa yang harus diperbaiki.")
    if app.status == status:
        return app
    if status not in next_statuses(app.status):
        allowed = next_statuses(app.status)
        raise StatusError(f"Status {app.status} tidak bisa diubah menjadi {status}. "
                          + (f"Yang bisa: {', '.join(allowed)}." if allowed else "Status ini sudah final."))
    app.status, app.status_reason, app.decided_at = status, reason.strip() or None, now()
    user = repo.session.get(User, app.user_id) if app.user_id else None
    if user is not None:
        texts = knowledge.texts["enrolment"]
        day = knowledge.facts["bpu_due_day"].render()
        text = texts["status_changed"][status].format(reference=app.reference, reason=reason.strip(), day=day,
                                                      call_centre=knowledge.facts["call_centre"].render())
        buttons = [{"label": texts["payment_reminder_yes"], "data": "pay:remind"}] if status == "aktif" else []
        if status == "aktif":
            text += "\n\n" + texts["payment_reminder_offer"].format(day=day)
        repo.enqueue(user, "status", text, buttons)
    return app
