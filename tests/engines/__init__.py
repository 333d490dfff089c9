"""Tests of the projection engines, held to the independent reference engine."""
