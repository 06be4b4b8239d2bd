"""Flows: small state machines (lessons, calculator, …) driven by the dialogue."""
