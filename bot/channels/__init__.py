"""Channels: adapters that turn a platform's updates into engine events and replies back."""
