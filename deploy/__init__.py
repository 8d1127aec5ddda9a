"""Deployment: the bot and hummingbot-api images' overlay (``overlay.py``) and ``make deploy-check``."""
