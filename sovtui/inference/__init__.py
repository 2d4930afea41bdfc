"""Talking to model servers: Ollama, through the official ``ollama`` client.

``Backend`` is the service for one host (models, pulls, chat); ``hosts``
resolves which host a command means; ``server`` starts and stops an
``ollama serve`` that sovtui itself manages; ``suggest`` picks models that fit
this machine.
"""
