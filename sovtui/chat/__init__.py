"""Conversations with models: the records, their files, personas, and sending.

No UI here: the Chat pane and ``sovtui chat`` both use ``ChatSession`` and
``ConversationStore``.
"""
