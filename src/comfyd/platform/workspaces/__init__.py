"""Workspaces as Comfy Cloud has them: a personal one per user, team ones, members and invites."""
