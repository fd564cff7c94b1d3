"""The reviewers' queue and decisions."""
