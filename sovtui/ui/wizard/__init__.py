"""The guided setup: from renting AI to owning it, one confirmed step at a time."""
