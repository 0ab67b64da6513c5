"""A campaign file: its format (:mod:`~clarion.campaign.model`), loading it safely, its schedule,
its items, its quote cards as described, and the checks that need the whole file.

Kept empty: importing a module of this package imports nothing else of it.
"""
