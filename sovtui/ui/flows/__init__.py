"""Flows: a sequence of questions shared by more than one screen (a pane and a wizard step).

A flow holds only the order of asking; every rule it meets lives in a service.
"""
