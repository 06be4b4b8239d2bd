"""Self-enrolment: validating identity data, applications, owner invites and notifications."""
