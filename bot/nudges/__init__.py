"""Nudges: when to remind an owner of their plan, derived from what is stored, never from jobs."""
