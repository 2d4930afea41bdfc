"""The Textual app. The only package in sovtui that imports Textual."""
