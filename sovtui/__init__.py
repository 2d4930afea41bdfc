"""sovtui: a keyboard-driven terminal app for self-sovereign AI.

Chat with models on hardware you control, hold your own Nostr keys, spend from
your own Lightning wallet. Everything outside ``sovtui.ui`` is plain asyncio
code with no dependency on Textual, so the CLI and the TUI share it.
"""

__version__ = "0.1.0"
