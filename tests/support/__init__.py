"""Helpers the tests share that are not fixtures and never ship in the natless package."""
