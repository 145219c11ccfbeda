"""Orchestration of one record through a stage (translate, dead-letter, sink) without faust.

The faust agents in :mod:`hub.streams` and the ops tools (replay, redeliver) call these functions,
so the processing is the same whichever runner drives it.
"""
